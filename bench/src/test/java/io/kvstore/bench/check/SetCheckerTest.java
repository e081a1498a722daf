package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SetCheckerTest {
    private final SetChecker checker = new SetChecker();
    private final List<Operation> ops = new ArrayList<>();

    private void add(String element, Outcome outcome, double invokeMs, double completeMs) {
        ops.add(Operation.add(ops.size(), ops.size() % 5, "s", element, outcome, Hist.ns(invokeMs),
                Hist.ns(completeMs)));
    }

    private void read(double invokeMs, double completeMs, String... elements) {
        ops.add(Operation.read(ops.size(), 9, "s", List.of(elements), Outcome.OK, Hist.ns(invokeMs),
                Hist.ns(completeMs)));
    }

    private SetCheckResult check() {
        SetCheckResult result = checker.check(History.of(ops));
        result.findings().forEach(System.out::println);
        return result;
    }

    @Test
    void everyAcknowledgedElementPresentIsValid() {
        add("a", Outcome.OK, 0, 1);
        add("b", Outcome.OK, 0, 2);
        add("c", Outcome.FAIL, 1, 2);
        add("d", Outcome.INFO, 1, 100);
        add("e", Outcome.INFO, 1, 100);
        read(200, 201, "b", "a", "d");
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        SetKeyResult s = result.sets().get(0);
        assertThat(s.acknowledged()).isEqualTo(2);
        assertThat(s.indeterminatePresent()).isEqualTo(1);
        assertThat(s.indeterminateAbsent()).isEqualTo(1);
        assertThat(result.findings()).isEmpty();
    }

    @Test
    void missingAcknowledgedElementIsALostWrite() {
        add("a", Outcome.OK, 0, 1);
        add("b", Outcome.OK, 0, 2);
        read(200, 201, "a");
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.lost()).extracting(Operation::value).containsExactly("b");
        assertThat(result.flaggedOperationIds()).containsExactly(1L);
        assertThat(result.findings()).singleElement().asString()
                .contains("Set \"s\": 1 acknowledged add missing from the final read", "lost writes: \"b\"");
    }

    @Test
    void addStillRunningWhenTheReadBeganMayBeAbsent() {
        add("a", Outcome.OK, 0, 300);
        read(200, 201);
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        assertThat(result.sets().get(0).concurrentAbsent()).isEqualTo(1);
    }

    @Test
    void failedAddThatIsPresentIsAnAnomaly() {
        add("a", Outcome.FAIL, 0, 1);
        read(200, 201, "a");
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.findings()).singleElement().asString().contains("reported as failed but present");
    }

    @Test
    void elementsNobodyAddedAndDuplicatesAreAnomalies() {
        add("a", Outcome.OK, 0, 1);
        read(200, 201, "a", "zz", "a");
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.sets().get(0).unexpected()).containsExactly("zz");
        assertThat(result.sets().get(0).duplicated()).containsExactly("a");
    }

    @Test
    void elementPresentBeforeItsAddBeganIsAnAnomaly() {
        read(10, 11, "a");
        add("a", Outcome.INFO, 20, 30);
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.sets().get(0).presentBeforeAdded()).extracting(Operation::value).containsExactly("a");
    }

    @Test
    void theLastReadIsTheOneChecked() {
        add("a", Outcome.OK, 0, 1);
        read(0.5, 0.6);          // earlier read, before "a" was acknowledged: not the final one
        add("b", Outcome.OK, 2, 3);
        read(200, 201, "a", "b");
        assertThat(check().verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void withoutASuccessfulReadTheVerdictIsUnknown() {
        add("a", Outcome.OK, 0, 1);
        ops.add(Operation.read(ops.size(), 1, "s", List.of(), Outcome.INFO, Hist.ns(5), Hist.ns(6)));
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(result.findings()).singleElement().asString().contains("no read of it succeeded");
    }

    @Test
    void setsAreCheckedIndependently() {
        ops.add(Operation.add(0, 1, "s1", "a", Outcome.OK, 0, 1));
        ops.add(Operation.add(1, 1, "s2", "a", Outcome.OK, 0, 1));
        ops.add(Operation.read(2, 1, "s1", List.of("a"), Outcome.OK, 10, 11));
        ops.add(Operation.read(3, 1, "s2", List.of(), Outcome.OK, 10, 11));
        SetCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.sets()).extracting(SetKeyResult::verdict).containsExactly(Verdict.VALID, Verdict.INVALID);
    }

    @Test
    void duplicateElementsAndRegisterOperationsAreRejected() {
        add("a", Outcome.OK, 0, 1);
        add("a", Outcome.OK, 2, 3);
        assertThatThrownBy(this::check).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unique");
        History registers = History.of(List.of(Operation.put(1, 1, "k", "v", Outcome.OK, 0, 1)));
        assertThatThrownBy(() -> checker.check(registers)).hasMessageContaining("LinearizabilityChecker");
    }

    @Test
    void randomSetRunsAreValidAndDroppingAnAcknowledgedElementIsCaught() {
        for (long seed = 1; seed <= 50; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            ops.clear();
            List<String> stored = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                double t = i * 0.5;
                double r = random.nextDouble();
                Outcome outcome = r < 0.1 ? Outcome.INFO : r < 0.15 ? Outcome.FAIL : Outcome.OK;
                String element = "e" + i;
                add(element, outcome, t, t + 0.4);
                if (outcome == Outcome.OK || (outcome == Outcome.INFO && random.nextBoolean())) {
                    stored.add(element);
                }
            }
            java.util.Collections.shuffle(stored, new java.util.Random(seed));
            read(1000, 1001, stored.toArray(String[]::new));
            assertThat(checker.check(History.of(ops)).verdict()).as("seed %d", seed).isEqualTo(Verdict.VALID);

            Operation finalRead = ops.remove(ops.size() - 1);
            List<String> missingOne = new ArrayList<>(finalRead.elements());
            String victim = ops.stream().filter(op -> op.outcome() == Outcome.OK).map(Operation::value)
                    .toList().get(random.nextInt(100));
            missingOne.remove(victim);
            read(1000, 1001, missingOne.toArray(String[]::new));
            SetCheckResult broken = checker.check(History.of(ops));
            assertThat(broken.verdict()).as("seed %d", seed).isEqualTo(Verdict.INVALID);
            assertThat(broken.lost()).extracting(Operation::value).containsExactly(victim);
        }
    }
}
