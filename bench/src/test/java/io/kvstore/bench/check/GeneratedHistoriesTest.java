package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests: histories of a simulated atomic register always pass; the same histories broken in ways
 * certain to be non-linearizable always fail, blaming the broken operation. Seeds are printed on failure
 * (they are the test's parameter); rerun one with {@code -Dtest='GeneratedHistoriesTest#...'}.
 */
class GeneratedHistoriesTest {
    private static final RandomHistories.Shape FEW_KEYS =
            new RandomHistories.Shape(6, 4, 300, 0.05, 0.03, 0.25, 3.0);
    private static final RandomHistories.Shape ONE_HOT_KEY =
            new RandomHistories.Shape(8, 1, 200, 0.08, 0.03, 0.3, 4.0);

    private final LinearizabilityChecker checker = new LinearizabilityChecker(SearchBudget.defaults(), 2);

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 80);
    }

    /** Many more seeds, for {@code mvn -Psoak}. */
    static LongStream soakSeeds() {
        return LongStream.rangeClosed(1000, 3000);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void simulatedRegisterHistoriesAreLinearizable(long seed) {
        validHistoriesPass(seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void brokenHistoriesAreCaughtAndTheBrokenOperationIsBlamed(long seed) {
        brokenHistoriesFail(seed);
    }

    @Tag("soak")
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("soakSeeds")
    void soakValidAndBrokenHistories(long seed) {
        validHistoriesPass(seed);
        brokenHistoriesFail(seed);
    }

    private void validHistoriesPass(long seed) {
        for (RandomHistories.Shape shape : List.of(FEW_KEYS, ONE_HOT_KEY)) {
            History history = RandomHistories.valid(seed, shape);
            RegisterCheckResult result = checker.check(history);
            assertThat(result.verdict()).as("seed %d, %s: %s", seed, shape, result.findings())
                    .isEqualTo(Verdict.VALID);
        }
    }

    private void brokenHistoriesFail(long seed) {
        for (RandomHistories.Shape shape : List.of(FEW_KEYS, ONE_HOT_KEY)) {
            History history = RandomHistories.valid(seed, shape);
            List<RandomHistories.Mutation> mutations = RandomHistories.mutations(history, seed);
            assertThat(mutations).as("seed %d yields mutations", seed).isNotEmpty();
            for (RandomHistories.Mutation m : mutations) {
                RegisterCheckResult result = checker.check(m.history());
                assertThat(result.verdict()).as("seed %d, %s", seed, m.kind()).isEqualTo(Verdict.INVALID);
                assertThat(result.failures()).hasSize(1);
                FailingWindow w = result.failures().get(0);
                assertThat(m.blamable()).as("seed %d, %s: %s", seed, m.kind(), w.text())
                        .contains(w.culprit().id());
                assertThat(w.operations()).contains(w.culprit());
            }
        }
    }

    @Test
    void mutationKindsAreAllExercised() {
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        seeds().limit(40).forEach(seed -> {
            History h = RandomHistories.valid(seed, FEW_KEYS);
            RandomHistories.mutations(h, seed).forEach(m -> kinds.add(m.kind()));
        });
        assertThat(kinds).containsExactlyInAnyOrder("stale read", "never written", "lost write",
                "cas both swapped and not", "indeterminate write seen before its invocation");
    }

    /** 10,000 operations over 100 keys by 10 clients: prints how long the check takes (no assertion on it). */
    @Test
    void tenThousandOperationsOverAHundredKeys() {
        RandomHistories.Shape shape = new RandomHistories.Shape(10, 100, 10_000, 0.03, 0.02, 0.25, 3.0);
        History history = RandomHistories.valid(42, shape);
        for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
            LinearizabilityChecker c = new LinearizabilityChecker(SearchBudget.defaults(), threads);
            long start = System.nanoTime();
            RegisterCheckResult result = c.check(history);
            long elapsed = System.nanoTime() - start;
            System.out.printf("10,000 ops / 100 keys / 10 clients, %d thread(s): %s, %.1f ms, %d steps%n",
                    threads, result.verdict(), elapsed / 1e6,
                    result.keys().stream().mapToLong(KeyResult::steps).sum());
            assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        }
        History broken = RandomHistories.staleRead(history, new java.util.SplittableRandom(7)).orElseThrow().history();
        long start = System.nanoTime();
        RegisterCheckResult result = checker.check(broken);
        System.out.printf("the same with one stale read: %s in %.1f ms%n%s%n", result.verdict(),
                (System.nanoTime() - start) / 1e6, result.findings().get(0));
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
    }
}
