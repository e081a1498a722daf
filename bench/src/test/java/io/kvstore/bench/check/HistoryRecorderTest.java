package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {
    private final AtomicLong clock = new AtomicLong();
    private final HistoryRecorder recorder = new HistoryRecorder(() -> clock.addAndGet(10));

    @Test
    void recordsEachKindWithItsResultAndTimes() {
        recorder.invokePut(1, "k", "a").ok();
        recorder.invokeGet(2, "k").okGet("a");
        recorder.invokeCas(3, "k", "a", "b").okCas(true);
        recorder.invokeCas(3, "k", "a", "c").okCas(false);
        recorder.invokePut(1, "k", "d").fail("NOT_LEADER");
        recorder.invokeAdd(4, "s", "e1").info("DEADLINE_EXCEEDED");
        recorder.invokeRead(4, "s").okRead(List.of("e1"));
        History h = recorder.history();
        assertThat(h.operations()).extracting(Operation::type).containsExactly(OpType.PUT, OpType.GET, OpType.CAS,
                OpType.CAS, OpType.PUT, OpType.ADD, OpType.READ);
        assertThat(h.operations()).allMatch(op -> op.completeNanos() > op.invokeNanos());
        assertThat(h.operations().get(2).swapped()).isTrue();
        assertThat(h.operations().get(3).swapped()).isFalse();
        assertThat(h.operations().get(4).error()).isEqualTo("NOT_LEADER");
        assertThat(new LinearizabilityChecker().check(History.of(h.operations().subList(0, 5))).verdict())
                .isEqualTo(Verdict.VALID);
    }

    @Test
    void operationsStillRunningAreIndeterminate() {
        recorder.invokePut(1, "k", "a");
        History h = recorder.history();
        assertThat(h.operations()).singleElement().satisfies(op -> {
            assertThat(op.outcome()).isEqualTo(Outcome.INFO);
            assertThat(op.value()).isEqualTo("a");
        });
    }

    @Test
    void completingTwiceOrWithTheWrongKindIsAMistake() {
        HistoryRecorder.Pending p = recorder.invokePut(1, "k", "a");
        p.ok();
        assertThatThrownBy(p::ok).hasMessageContaining("twice");
        assertThatThrownBy(() -> recorder.invokeGet(1, "k").okCas(true)).hasMessageContaining("not a cas");
    }

    @Test
    void manyThreadsRecordWithoutLosingOperations() throws InterruptedException {
        HistoryRecorder real = new HistoryRecorder();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    real.invokeAdd(client, "s", client + "-" + i).ok();
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        History h = real.history();
        assertThat(h.size()).isEqualTo(8000);
        assertThat(h.operations()).extracting(Operation::id).doesNotHaveDuplicates();
    }
}
