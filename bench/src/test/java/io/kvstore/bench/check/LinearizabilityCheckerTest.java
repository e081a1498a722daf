package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
    private final LinearizabilityChecker checker = new LinearizabilityChecker(SearchBudget.defaults(), 2);

    private RegisterCheckResult check(Hist h) {
        RegisterCheckResult result = checker.check(h.history());
        for (String finding : result.findings()) {
            System.out.println(finding + "\n");
        }
        return result;
    }

    private FailingWindow onlyFailure(RegisterCheckResult result) {
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.failures()).hasSize(1);
        return result.failures().get(0);
    }

    @Test
    void sequentialReadsOfTheLastWriteAreLinearizable() {
        Hist h = Hist.on("k").get(1, null, 0, 1).put(1, "a", 2, 3).get(2, "a", 4, 5).put(2, "b", 6, 7)
                .get(1, "b", 8, 9);
        assertThat(check(h).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void emptyHistoryIsValid() {
        assertThat(checker.check(History.of(List.of())).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void staleReadIsCaughtAndExplainedAsOverwritten() {
        Hist h = Hist.on("k3").put(1, "v7", 0, 1).put(2, "v8", 2, 3).get(4, "v7", 5, 6);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.culprit().type()).isEqualTo(OpType.GET);
        assertThat(w.culprit().value()).isEqualTo("v7");
        // The smallest window starts at the overwriting put: the first put is not needed to see the problem.
        assertThat(w.operations()).extracting(Operation::value).containsExactly("v8", "v7");
        assertThat(w.fromStart()).isFalse();
        assertThat(w.text()).contains("Key \"k3\" is not linearizable", "get by client 4",
                "put \"v8\" by client 2 completed at 3.000 ms", "had been overwritten");
    }

    @Test
    void staleReadAfterManyValidOperationsIsNarrowedToTheEnd() {
        Hist h = Hist.on("k");
        for (int i = 0; i < 50; i++) {
            h.put(1, "x" + i, 10 * i, 10 * i + 2).get(2, "x" + i, 10 * i + 3, 10 * i + 5);
        }
        h.put(1, "y", 600, 601).get(2, "x49", 602, 603);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.operations()).hasSize(2);
        assertThat(w.startNanos()).isEqualTo(Hist.ns(600));
        assertThat(w.endNanos()).isEqualTo(Hist.ns(603));
    }

    @Test
    void lostWriteIsCaught() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).get(2, null, 2, 3);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.text()).contains("saw the key absent", "no operation removes a key");
    }

    @Test
    void lostWriteAmongConcurrentWritesIsCaught() {
        // Both puts are acknowledged and overlap; afterwards readers disagree about which one won.
        Hist h = Hist.on("k").put(1, "a", 0, 10).put(2, "b", 0, 10).get(3, "a", 11, 12).get(3, "b", 13, 14);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.text()).contains("an earlier get by client 3 saw \"a\" and completed at 12.000 ms", "overwritten");
    }

    @Test
    void concurrentWritesMayTakeEffectInEitherOrder() {
        Hist first = Hist.on("k").put(1, "a", 0, 10).put(2, "b", 1, 9).get(3, "a", 11, 12);
        Hist second = Hist.on("k").put(1, "a", 0, 10).put(2, "b", 1, 9).get(3, "b", 11, 12);
        // A read overlapping both writes may see the old value, either new one, or both in turn.
        Hist overlapping = Hist.on("k").put(1, "a", 0, 10).put(2, "b", 1, 9).get(3, null, 2, 3)
                .get(4, "b", 4, 5).get(5, "a", 5, 6).get(3, "a", 11, 12);
        assertThat(check(first).verdict()).isEqualTo(Verdict.VALID);
        assertThat(check(second).verdict()).isEqualTo(Verdict.VALID);
        assertThat(check(overlapping).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void casThatReportedNoSwapButWhoseValueIsReadIsCaught() {
        // The "no swap" itself is plausible (the concurrent put of "c" may have come first), but then
        // nothing wrote "b".
        Hist h = Hist.on("k").put(1, "a", 0, 1).put(4, "c", 2, 6).cas(2, "a", "b", false, 3, 4)
                .get(3, "b", 7, 8);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.culprit().type()).isEqualTo(OpType.GET);
        assertThat(w.text()).contains("nothing that could have taken effect", "did not swap");
    }

    @Test
    void twoCasFromTheSameValueCannotBothSwap() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).cas(2, "a", "b", true, 2, 5).cas(3, "a", "c", true, 2, 5);
        onlyFailure(check(h));
    }

    @Test
    void casThatSwappedWhenTheValueWasDifferentIsCaught() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).put(1, "z", 2, 3).cas(2, "a", "b", true, 4, 5);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.culprit().type()).isEqualTo(OpType.CAS);
        assertThat(w.text()).contains("the cas began", "overwritten");
    }

    @Test
    void casThatFoundTheExpectedValueButDidNotSwapIsCaught() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).cas(2, "a", "b", false, 2, 3);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.culprit().type()).isEqualTo(OpType.CAS);
        assertThat(w.text()).contains("The cas reported that the key did not hold \"a\", but put \"a\" by client 1"
                + " completed at 1.000 ms, before the cas began at 2.000 ms");
    }

    @Test
    void casThatFoundTheKeyPresentWhenNothingWroteItIsCaught() {
        Hist h = Hist.on("k").cas(2, null, "b", false, 2, 3);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.text()).contains("reported that the key was not absent, but nothing");
    }

    @Test
    void casNoSwapWithAnOverlappingWriteGetsTheGeneralReason() {
        // put "z" overlaps both: it could explain the no-swap on its own, so the failure comes from the get.
        Hist h = Hist.on("k").put(1, "a", 0, 1).put(3, "z", 2, 10).cas(2, "a", "b", false, 3, 4).get(1, "a", 11, 12);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.culprit().type()).isEqualTo(OpType.GET);
    }

    @Test
    void casNoSwapIsValidWhenAConcurrentWriteCameFirst() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).put(3, "c", 2, 5).cas(2, "a", "b", false, 3, 4).get(1, "c", 6, 7);
        assertThat(check(h).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void casFromAbsentWorks() {
        Hist valid = Hist.on("k").cas(1, null, "a", true, 0, 1).cas(2, null, "b", false, 2, 3).get(1, "a", 4, 5);
        Hist invalid = Hist.on("k").put(1, "z", 0, 1).cas(2, null, "a", true, 2, 3);
        assertThat(check(valid).verdict()).isEqualTo(Verdict.VALID);
        assertThat(onlyFailure(check(invalid)).text()).contains("saw the key absent");
    }

    @Test
    void readOfANeverWrittenValueIsCaught() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).get(2, "ghost", 2, 3);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.text()).contains("\"ghost\"", "no operation ever wrote it");
    }

    @Test
    void readOfAValueFromAFailedWriteIsCaught() {
        Hist h = Hist.on("k").putFailed(1, "a", 0, 1).get(2, "a", 2, 3);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.text()).contains("the only writes of it: put \"a\" by client 1", "failed");
    }

    @Test
    void indeterminateWriteThatTookEffectIsValid() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).putInfo(2, "b", 2).get(3, "b", 10, 11).get(3, "b", 12, 13);
        assertThat(check(h).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void indeterminateWriteThatNeverTookEffectIsValid() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).putInfo(2, "b", 2).get(3, "a", 10, 11).get(3, "a", 12, 13);
        assertThat(check(h).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void indeterminateWriteMayTakeEffectLongAfterItsClientGaveUp() {
        // The client gave up at 1002 ms, but the write may still land later: reads see "a" then "b".
        Hist h = Hist.on("k").put(1, "a", 0, 1).putInfo(2, "b", 2).get(3, "a", 2000, 2001).get(3, "b", 3000, 3001);
        assertThat(check(h).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void indeterminateWriteTakesEffectAtMostOnce() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).putInfo(2, "b", 2).get(3, "b", 10, 11).get(3, "a", 12, 13);
        onlyFailure(check(h));
    }

    @Test
    void indeterminateWriteSeenBeforeItWasInvokedIsCaught() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).get(3, "b", 2, 3).putInfo(2, "b", 5);
        FailingWindow w = onlyFailure(check(h));
        assertThat(w.culprit().type()).isEqualTo(OpType.GET);
        assertThat(w.text()).contains("the only writes of it: put \"b\" by client 2, invoked at 5.000 ms");
    }

    @Test
    void indeterminateCasMayOrMayNotHaveSwapped() {
        Hist swapped = Hist.on("k").put(1, "a", 0, 1).casInfo(2, "a", "b", 2).get(3, "b", 10, 11);
        Hist notSwapped = Hist.on("k").put(1, "a", 0, 1).casInfo(2, "a", "b", 2).get(3, "a", 10, 11);
        Hist impossible = Hist.on("k").put(1, "z", 0, 1).casInfo(2, "a", "b", 2).get(3, "b", 10, 11);
        assertThat(check(swapped).verdict()).isEqualTo(Verdict.VALID);
        assertThat(check(notSwapped).verdict()).isEqualTo(Verdict.VALID);
        assertThat(check(impossible).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void indeterminateAndFailedReadsConstrainNothing() {
        Hist h = Hist.on("k").put(1, "a", 0, 1).getInfo(2, 2).get(3, "a", 4, 5);
        assertThat(check(h).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void keysAreIndependentAndOnlyTheBadKeyIsReported() {
        Hist h = Hist.on("good").put(1, "a", 0, 1).get(2, "a", 2, 3)
                .key("bad").put(1, "a", 4, 5).put(1, "b", 6, 7).get(2, "a", 8, 9)
                .key("other").put(3, "a", 0, 100).get(4, "a", 1, 2);
        RegisterCheckResult result = check(h);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.keysWith(Verdict.INVALID)).extracting(KeyResult::key).containsExactly("bad");
        assertThat(result.keysWith(Verdict.VALID)).extracting(KeyResult::key).containsExactly("good", "other");
        assertThat(result.flaggedOperationIds()).containsExactly(result.failures().get(0).culprit().id());
    }

    @Test
    void searchThatRunsOutOfBudgetSaysUnknown() {
        // Ten concurrent indeterminate writes and a read of a value none wrote: proving it impossible means
        // trying many subsets of the writes, far more than 50 steps.
        Hist h = Hist.on("k");
        for (int i = 0; i < 10; i++) {
            h.putInfo(i, "w" + i, 0);
        }
        h.get(20, "w0", 1, 2).get(20, "w1", 3, 4).get(20, "w0", 5, 6);
        LinearizabilityChecker tiny = new LinearizabilityChecker(
                SearchBudget.defaults().withMaxSteps(50).withMaxTime(Duration.ofSeconds(5)), 1);
        RegisterCheckResult result = tiny.check(h.history());
        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(result.keys().get(0).unknownReason()).contains("step budget");
        assertThat(checker.check(h.history()).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void setOperationsAreRejected() {
        History h = History.of(List.of(Operation.add(1, 1, "s", "e1", Outcome.OK, 0, 1)));
        assertThatThrownBy(() -> checker.check(h)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SetChecker");
    }
}
