package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The lock-workload verdict for a whole history: invalid if any lock shows an anomaly, else unknown if a
 * lock's guarded writes could not be read back, else valid.
 *
 * @param locks         one result per lock
 * @param operations    all operations
 * @param ok            operations with outcome ok
 * @param failed        operations with outcome fail
 * @param indeterminate operations with outcome info
 * @param elapsedNanos  time the check took
 */
public record LockCheckResult(List<LockKeyResult> locks, long operations, long ok, long failed, long indeterminate,
                              long elapsedNanos) implements CheckResult {

    public LockCheckResult {
        locks = List.copyOf(locks);
    }

    @Override
    public Verdict verdict() {
        Verdict v = Verdict.VALID;
        for (LockKeyResult l : locks) {
            v = v.and(l.verdict());
        }
        return v;
    }

    @Override
    public String workload() {
        return "lock";
    }

    /** Anomalies of this kind over all locks. */
    public long count(LockChecker.Kind kind) {
        return sum(l -> l.count(kind));
    }

    @Override
    public List<String> summaryLines() {
        List<String> lines = new ArrayList<>();
        lines.add("verdict: " + verdict().word());
        lines.add("operations: " + operations + " (" + ok + " ok, " + failed + " fail, " + indeterminate + " info)");
        lines.add("locks: " + locks.size() + ", acknowledged acquires: " + sum(LockKeyResult::acquired)
                + " (" + sum(LockKeyResult::tokens) + " distinct tokens), unknown acquires: "
                + sum(LockKeyResult::acquireUnknown) + ", acknowledged releases: " + sum(LockKeyResult::releases));
        lines.add("guarded writes: " + sum(LockKeyResult::writesOk) + " acknowledged, " + sum(LockKeyResult::writesRefused)
                + " refused by the fence, " + sum(LockKeyResult::writesUnknown) + " unknown (of which "
                + sum(LockKeyResult::unknownLanded) + " applied)");
        lines.add("anomalies: " + count(LockChecker.Kind.TOKEN_ORDER) + " token order, "
                + count(LockChecker.Kind.STALE_LANDED) + " stale writes applied, "
                + count(LockChecker.Kind.INTERLEAVED) + " interleaved writes, "
                + count(LockChecker.Kind.STALE_ACKNOWLEDGED) + " stale writes acknowledged, "
                + count(LockChecker.Kind.STORE_DISAGREES) + " store/client disagreements");
        lines.add("locks without a final read: " + locks.stream().filter(l -> l.finalRead() == null).count());
        return lines;
    }

    private long sum(ToLongFunction<LockKeyResult> f) {
        return locks.stream().mapToLong(f).sum();
    }

    @Override
    public List<String> findings() {
        List<String> out = new ArrayList<>();
        for (LockKeyResult l : locks) {
            String lock = "Lock " + Words.value(l.lock());
            for (LockChecker.Anomaly a : l.anomalies()) {
                out.add(lock + ": " + a.text() + ".");
            }
            int described = l.anomalies().size();
            int total = l.counts().values().stream().mapToInt(Integer::intValue).sum();
            if (total > described) {
                out.add(lock + ": … and " + (total - described) + " more anomalies of the same kinds.");
            }
            if (l.finalRead() == null && l.verdict() == Verdict.UNKNOWN) {
                out.add(lock + ": unknown — no read of its guarded writes succeeded, so the store's side could not be"
                        + " checked (" + Words.count(l.writesOk(), "acknowledged write") + ").");
            }
        }
        return out;
    }

    @Override
    public Set<Long> flaggedOperationIds() {
        Set<Long> ids = new LinkedHashSet<>();
        for (LockKeyResult l : locks) {
            for (LockChecker.Anomaly a : l.anomalies()) {
                ids.add(a.operation());
                if (a.other() >= 0) {
                    ids.add(a.other());
                }
            }
        }
        return ids;
    }
}
