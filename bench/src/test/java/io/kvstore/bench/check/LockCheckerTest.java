package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LockChecker} on hand-made histories of one lock "L": times in milliseconds, tokens and versions
 * as the store's Raft indexes would be (a holder's writes apply after its token and before the next one).
 */
class LockCheckerTest {
    private final List<Operation> ops = new ArrayList<>();
    @TempDir Path dir;

    private long acquire(int client, long lease, long token, double invokeMs, double completeMs) {
        ops.add(Operation.acquire(ops.size(), client, "L", lease, token, Outcome.OK, Hist.ns(invokeMs),
                Hist.ns(completeMs)));
        return ops.size() - 1;
    }

    private void acquireInfo(int client, long lease, double invokeMs) {
        ops.add(Operation.acquire(ops.size(), client, "L", lease, 0, Outcome.INFO, Hist.ns(invokeMs),
                Hist.ns(invokeMs + 1000)));
    }

    private long write(int client, String value, long token, long version, Outcome outcome, double invokeMs,
                       double completeMs) {
        ops.add(Operation.guardedPut(ops.size(), client, "L", value, token, version, outcome, Hist.ns(invokeMs),
                Hist.ns(completeMs)));
        return ops.size() - 1;
    }

    private void release(int client, long lease, long token, double invokeMs, double completeMs) {
        ops.add(Operation.release(ops.size(), client, "L", lease, token, Outcome.OK, Hist.ns(invokeMs),
                Hist.ns(completeMs)));
    }

    /** The final read: the store's guarded writes as "value@version". */
    private void read(double invokeMs, String... elements) {
        ops.add(Operation.read(ops.size(), 9, "L", List.of(elements), Outcome.OK, Hist.ns(invokeMs),
                Hist.ns(invokeMs + 1)));
    }

    private LockCheckResult check() {
        LockCheckResult result = new LockChecker().check(History.of(ops));
        result.findings().forEach(System.out::println);
        return result;
    }

    /** Two holders one after the other, a paused first holder refused, an unknown write that applied. */
    private void validHandOff() {
        acquire(1, 101, 10, 0, 5);
        write(1, "a1", 10, 12, Outcome.OK, 6, 8);
        write(1, "a2", 10, 14, Outcome.INFO, 9, 2000); // timed out; it did apply (version 14)
        // Client 1 pauses; its lease expires and client 2, waiting since 3 ms, gets the lock at index 20.
        acquire(2, 102, 20, 3, 3000);
        write(2, "b1", 20, 22, Outcome.OK, 3001, 3003);
        write(1, "a3", 10, 0, Outcome.FAIL, 3100, 3102); // woken, it writes with its stale token: refused
        write(2, "b2", 20, 25, Outcome.OK, 3200, 3203);
        release(2, 102, 20, 3300, 3302);
        acquire(3, 103, 30, 3301, 3400);
        write(3, "c1", 30, 31, Outcome.OK, 3401, 3402);
        read(5000, "a1@12", "a2@14", "b1@22", "b2@25", "c1@31");
    }

    @Test
    void aHandOffWithARefusedStaleHolderIsValid() {
        validHandOff();
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        assertThat(result.findings()).isEmpty();
        LockKeyResult l = result.locks().get(0);
        assertThat(l).extracting(LockKeyResult::acquired, LockKeyResult::tokens, LockKeyResult::maxToken,
                LockKeyResult::writesOk, LockKeyResult::writesRefused, LockKeyResult::writesUnknown,
                LockKeyResult::unknownLanded, LockKeyResult::releases).containsExactly(3, 3, 30L, 4, 1, 1, 1, 1);
        assertThat(result.summaryLines()).contains("guarded writes: 4 acknowledged, 1 refused by the fence,"
                + " 1 unknown (of which 1 applied)");
    }

    @Test
    void theHistoryFileKeepsTokensAndVersionsAndCheckMainFindsTheLockWorkload() throws Exception {
        validHandOff();
        History.of(ops).write(dir.resolve("history.jsonl"));
        History back = History.read(dir.resolve("history.jsonl"));
        assertThat(back.operations()).containsExactlyInAnyOrderElementsOf(History.of(ops).operations());
        assertThat(Files.readString(dir.resolve("history.jsonl")))
                .contains("\"type\":\"guarded_put\",\"key\":\"L\",\"value\":\"a1\"", "\"token\":10,\"version\":12");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int status = CheckMain.run(new String[] {dir.toString()}, new java.io.PrintStream(out), System.err);
        assertThat(status).isEqualTo(CheckMain.EXIT_VALID);
        assertThat(out.toString()).contains("locks: 1, acknowledged acquires: 3");
        assertThat(Files.readString(dir.resolve("verdict.txt"))).startsWith("valid\nworkload: lock\n");
    }

    @Test
    void aStaleTokenWriteThatAppliedAfterTheNextHolderIsInvalidEvenIfItsOutcomeWasUnknown() {
        acquire(1, 101, 10, 0, 5);
        write(1, "a1", 10, 12, Outcome.OK, 6, 8);
        write(1, "a2", 10, 0, Outcome.INFO, 9, 2000);
        acquire(2, 102, 20, 3, 3000);
        read(5000, "a1@12", "a2@23"); // a2 applied at 23, after the lock passed to token 20 at index 20
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.count(LockChecker.Kind.STALE_LANDED)).isEqualTo(1);
        assertThat(result.findings()).singleElement().asString()
                .contains("guarded put \"a2\" with token 10", "it applied at version 23",
                        "after the lock passed to a newer holder at index 20", "a stale-token write landed");
        assertThat(result.flaggedOperationIds()).containsExactlyInAnyOrder(2L, 3L);
    }

    @Test
    void interleavedWritesOfTwoHoldersAreInvalid() {
        // No acquire of token 20 was acknowledged (its client timed out), so only the order of the writes
        // betrays that holder 10 wrote after holder 20 had.
        acquire(1, 101, 10, 0, 5);
        acquireInfo(2, 102, 1);
        write(1, "a1", 10, 12, Outcome.OK, 6, 8);
        write(2, "b1", 20, 21, Outcome.INFO, 2000, 3000);
        write(1, "a2", 10, 24, Outcome.OK, 2500, 2600);
        read(5000, "a1@12", "b1@21", "a2@24");
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.count(LockChecker.Kind.INTERLEAVED)).isEqualTo(1);
        assertThat(result.count(LockChecker.Kind.STALE_LANDED)).isZero();
        assertThat(result.findings()).singleElement().asString()
                .contains("guarded put \"a2\" with token 10", "with the newer token 20 applied at version 21",
                        "two holders' writes interleave");
    }

    @Test
    void interleavingIsFoundFromAcknowledgedVersionsWithoutAFinalRead() {
        acquire(1, 101, 10, 0, 5);
        write(1, "a1", 10, 12, Outcome.OK, 6, 8);
        write(2, "b1", 20, 21, Outcome.OK, 2000, 2100);
        write(1, "a2", 10, 24, Outcome.OK, 2050, 2150);
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.count(LockChecker.Kind.INTERLEAVED)).isEqualTo(1);
    }

    @Test
    void withoutAFinalReadACleanHistoryIsUnknown() {
        acquire(1, 101, 10, 0, 5);
        write(1, "a1", 10, 12, Outcome.OK, 6, 8);
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(result.findings()).singleElement().asString().contains("unknown — no read of its guarded writes");
    }

    @Test
    void aStaleWriteAcknowledgedAfterANewerAcquireWasAcknowledgedIsInvalid() {
        acquire(1, 101, 10, 0, 5);
        acquire(2, 102, 20, 3, 3000);
        // Acknowledged at 18 (below 20, so only the real-time order betrays it: a store bug could do this).
        write(1, "a1", 10, 18, Outcome.OK, 3100, 3102);
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.count(LockChecker.Kind.STALE_ACKNOWLEDGED)).isEqualTo(1);
        assertThat(result.findings()).singleElement().asString()
                .contains("acknowledged at version 18, though it began after the acquire for lease 102",
                        "got token 20", "should have refused it");
    }

    @Test
    void aStaleWriteInvokedBeforeTheNewerAcquireCompletedMayBeAcknowledged() {
        acquire(1, 101, 10, 0, 5);
        acquire(2, 102, 20, 3, 3000);
        write(1, "a1", 10, 15, Outcome.OK, 2999, 3102); // began before the acquire's answer, applied before 20
        read(5000, "a1@15");
        assertThat(check().verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void tokensThatDoNotGrowOrAreSharedAreInvalid() {
        acquire(1, 101, 20, 0, 5);
        acquire(2, 102, 15, 10, 20); // began after token 20 was granted, got a smaller one
        acquire(3, 103, 20, 30, 40); // another lease with token 20
        acquire(1, 101, 20, 6, 7); // the same lease asking again gets its own token: fine
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.count(LockChecker.Kind.TOKEN_ORDER)).isEqualTo(2);
        assertThat(String.join("\n", result.findings()))
                .contains("two holders got token 20", "yet got a smaller token");
    }

    @Test
    void theStoreMustHoldWhatWasAcknowledgedAndNothingRefusedOrUnwritten() {
        acquire(1, 101, 10, 0, 5);
        write(1, "a1", 10, 12, Outcome.OK, 6, 8); // acknowledged, missing: lost
        write(1, "a2", 10, 14, Outcome.OK, 9, 10); // acknowledged at 14, held at 15
        write(1, "a3", 10, 0, Outcome.FAIL, 11, 12); // refused, present
        read(5000, "a2@15", "a3@16", "zz@17");
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.count(LockChecker.Kind.STORE_DISAGREES)).isEqualTo(4);
        assertThat(String.join("\n", result.findings())).contains("a lost write", "the store holds it at version 15",
                "was refused, yet the store holds it at version 16", "\"zz\" at version 17, which no guarded write wrote");
    }

    @Test
    void aWriteAppliedBeforeItsTokenWasIssuedIsInvalid() {
        acquire(1, 101, 10, 0, 5);
        write(1, "a1", 10, 9, Outcome.OK, 6, 8);
        read(5000, "a1@9");
        LockCheckResult result = check();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.findings()).singleElement().asString().contains("not after the acquire that issued token 10");
    }

    @Test
    void badHistoriesAreRejectedWithAReason() {
        write(1, "a1", 10, 12, Outcome.OK, 6, 8);
        write(2, "a1", 20, 22, Outcome.OK, 9, 10);
        assertThatThrownBy(this::check).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is written twice");
        ops.clear();
        ops.add(Operation.put(0, 1, "L", "v", Outcome.OK, 0, 1));
        assertThatThrownBy(this::check).hasMessageContaining("is not a lock operation (put)");
        ops.clear();
        read(1, "no-version");
        assertThatThrownBy(this::check).hasMessageContaining("is not value@version");
    }
}
