package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a lock workload: clients acquire a lock (under a lease), write unique values fenced by the lock's
 * name and their token, and release it, through faults; after the faults heal, one linearizable read per
 * lock returns every guarded write the store holds with the version that applied it. Per lock (key):
 *
 * <ol>
 *   <li><b>Tokens grow with each new holder.</b> An acquire invoked after another acquire completed gets a
 *   larger token (the same token only for the same lease); two leases never get the same token.</li>
 *   <li><b>No stale write lands.</b> Tokens and versions are indexes of the same Raft log (the lock and its
 *   guarded keys share a shard), so a write fenced with token {@code T} may only apply between {@code T}
 *   and the next holder's token {@code T'}: {@code T < version < T'}. Checked for every write the store
 *   holds, acknowledged or of unknown outcome.</li>
 *   <li><b>Holders' writes do not interleave.</b> Ordered by the version that applied them, the tokens of
 *   the writes never go back to an older token after a newer one's write.</li>
 *   <li><b>No stale write is acknowledged after a newer holder's acquire was.</b> An acknowledged write with
 *   token {@code T}, invoked after an acquire with a larger token completed, should have been refused.</li>
 *   <li><b>The store agrees with the clients.</b> Every acknowledged write is in the final read at its
 *   acknowledged version; no refused (FAIL) write is; nothing is there that no one wrote.</li>
 * </ol>
 *
 * Only tokens clients learned are used: a holder whose acquire had an unknown outcome never wrote (it did not
 * know its token), and leaving its token out only widens the allowed range, so the check never accuses the
 * store wrongly. Without a final read only checks 1, 3 (on acknowledged versions) and 4 run, and the lock's
 * verdict is unknown. Values of guarded writes must be unique per lock. Stateless and thread-safe.
 */
public final class LockChecker {
    /** At most this many anomalies of one kind are described per lock (the counts stay exact). */
    static final int MAX_PER_KIND = 20;

    /** Checks every lock in {@code history}. */
    public LockCheckResult check(History history) {
        long started = System.nanoTime();
        List<LockKeyResult> locks = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> e : history.byKey().entrySet()) {
            locks.add(checkLock(e.getKey(), e.getValue(), history.originNanos()));
        }
        return new LockCheckResult(locks, history.size(), history.count(Outcome.OK), history.count(Outcome.FAIL),
                history.count(Outcome.INFO), System.nanoTime() - started);
    }

    /** Checks one lock's operations; {@code origin} is the history's time zero, for the words. */
    public LockKeyResult checkLock(String lock, List<Operation> ops, long origin) {
        List<Operation> acquires = new ArrayList<>();
        Map<String, Operation> writeOf = new LinkedHashMap<>();
        Operation finalRead = null;
        int acquireInfo = 0;
        int releases = 0;
        for (Operation op : ops) {
            switch (op.type()) {
                case ACQUIRE -> {
                    if (op.outcome() == Outcome.OK) {
                        if (op.token() <= 0) {
                            throw new IllegalArgumentException("ok acquire " + op.id() + " has no token");
                        }
                        acquires.add(op);
                    } else if (op.outcome() == Outcome.INFO) {
                        acquireInfo++;
                    }
                }
                case GUARDED_PUT -> {
                    Operation previous = writeOf.put(op.value(), op);
                    if (previous != null) {
                        throw new IllegalArgumentException("value " + Words.value(op.value()) + " of lock "
                                + Words.value(lock) + " is written twice (operations " + previous.id() + " and "
                                + op.id() + "); guarded values must be unique");
                    }
                }
                case RELEASE -> releases += op.outcome() == Outcome.OK ? 1 : 0;
                case READ -> {
                    if (op.outcome() == Outcome.OK
                            && (finalRead == null || op.invokeNanos() > finalRead.invokeNanos())) {
                        finalRead = op;
                    }
                }
                default -> throw new IllegalArgumentException("operation " + op.id() + " is not a lock operation ("
                        + op.type().jsonName() + "); use LinearizabilityChecker or SetChecker");
            }
        }
        Anomalies anomalies = new Anomalies(origin);
        acquires.sort(Comparator.comparingLong(Operation::completeNanos));
        checkTokens(acquires, anomalies);

        TreeMap<Long, Operation> holderOfToken = new TreeMap<>();
        acquires.forEach(a -> holderOfToken.putIfAbsent(a.token(), a));
        PrefixMax newest = new PrefixMax(acquires);

        int ok = 0;
        int refused = 0;
        int unknown = 0;
        for (Operation w : writeOf.values()) {
            switch (w.outcome()) {
                case OK -> ok++;
                case FAIL -> refused++;
                case INFO -> unknown++;
            }
            if (w.outcome() == Outcome.OK) {
                Operation newer = newest.before(w.invokeNanos());
                if (newer != null && newer.token() > w.token()) {
                    anomalies.add(Kind.STALE_ACKNOWLEDGED, w.id(), newer.id(), "the "
                            + Words.describe(w, origin) + ", though it began after the "
                            + Words.describe(newer, origin) + ": a newer holder existed, so the fence should have"
                            + " refused it");
                }
            }
        }

        // The writes that applied, in the order the store applied them.
        Map<String, Long> landed = new HashMap<>();
        int unknownLanded = 0;
        List<long[]> applied = new ArrayList<>(); // {version, token, operation id}
        Map<Long, Operation> byId = new HashMap<>();
        writeOf.values().forEach(w -> byId.put(w.id(), w));
        if (finalRead != null) {
            for (String element : finalRead.elements()) {
                int at = element.lastIndexOf('@');
                if (at < 0) {
                    throw new IllegalArgumentException("read " + finalRead.id() + " of lock " + Words.value(lock)
                            + ": element " + Words.value(element) + " is not value@version");
                }
                String value = element.substring(0, at);
                long version = Long.parseLong(element.substring(at + 1));
                if (landed.put(value, version) != null) {
                    anomalies.add(Kind.STORE_DISAGREES, finalRead.id(), -1, "the final read returned "
                            + Words.value(value) + " twice");
                    continue;
                }
                Operation w = writeOf.get(value);
                if (w == null) {
                    anomalies.add(Kind.STORE_DISAGREES, finalRead.id(), -1, "the final read returned "
                            + Words.value(value) + " at version " + version + ", which no guarded write wrote");
                    continue;
                }
                if (w.outcome() == Outcome.FAIL) {
                    anomalies.add(Kind.STORE_DISAGREES, w.id(), -1, "the " + Words.describe(w, origin)
                            + " was refused, yet the store holds it at version " + version);
                } else if (w.outcome() == Outcome.OK && w.version() != version) {
                    anomalies.add(Kind.STORE_DISAGREES, w.id(), -1, "the " + Words.describe(w, origin)
                            + ", yet the store holds it at version " + version);
                }
                unknownLanded += w.outcome() == Outcome.INFO ? 1 : 0;
                applied.add(new long[] {version, w.token(), w.id()});
            }
            for (Operation w : writeOf.values()) {
                if (w.outcome() == Outcome.OK && !landed.containsKey(w.value())
                        && w.completeNanos() < finalRead.invokeNanos()) {
                    anomalies.add(Kind.STORE_DISAGREES, w.id(), -1, "the " + Words.describe(w, origin)
                            + ", yet the final read (" + Words.describe(finalRead, origin) + ") does not hold it:"
                            + " a lost write");
                }
            }
        } else {
            for (Operation w : writeOf.values()) {
                if (w.outcome() == Outcome.OK) {
                    applied.add(new long[] {w.version(), w.token(), w.id()});
                }
            }
        }
        applied.sort(Comparator.comparingLong(a -> a[0]));
        long[] newestSoFar = null;
        for (long[] a : applied) {
            Operation w = byId.get(a[2]);
            long version = a[0];
            long token = a[1];
            if (version <= token) {
                anomalies.add(Kind.STALE_LANDED, w.id(), -1, "the " + Words.describe(w, origin)
                        + "; it applied at version " + version + ", not after the acquire that issued token " + token);
            }
            Map.Entry<Long, Operation> next = holderOfToken.higherEntry(token);
            if (next != null && version > next.getKey()) {
                anomalies.add(Kind.STALE_LANDED, w.id(), next.getValue().id(), "the " + Words.describe(w, origin)
                        + "; it applied at version " + version + ", after the lock passed to a newer holder at index "
                        + next.getKey() + " (" + Words.describe(next.getValue(), origin) + "): a stale-token write"
                        + " landed");
            }
            if (newestSoFar != null && token < newestSoFar[1]) {
                Operation earlier = byId.get(newestSoFar[2]);
                anomalies.add(Kind.INTERLEAVED, w.id(), earlier.id(), "the " + Words.describe(w, origin)
                        + "; it applied at version " + version + ", after the " + Words.describe(earlier, origin)
                        + " with the newer token " + newestSoFar[1] + " applied at version " + newestSoFar[0]
                        + ": two holders' writes interleave");
            }
            if (newestSoFar == null || token > newestSoFar[1]) {
                newestSoFar = a;
            }
        }
        long maxToken = acquires.stream().mapToLong(Operation::token).max().orElse(0);
        return new LockKeyResult(lock, finalRead, acquires.size(), acquireInfo, holderOfToken.size(), maxToken,
                ok, refused, unknown, unknownLanded, releases, anomalies.list, anomalies.counts);
    }

    /**
     * Check 1 on the acquires (sorted by completion): a token is never below, or equal to another lease's,
     * a token already granted when the acquire began.
     */
    private static void checkTokens(List<Operation> acquires, Anomalies anomalies) {
        Map<Long, Operation> firstWithToken = new HashMap<>();
        for (Operation a : acquires) {
            Operation same = firstWithToken.putIfAbsent(a.token(), a);
            if (same != null && !same.value().equals(a.value())) {
                anomalies.add(Kind.TOKEN_ORDER, a.id(), same.id(), "two holders got token " + a.token() + ": the "
                        + Words.describe(same, anomalies.origin) + " and the " + Words.describe(a, anomalies.origin));
            }
        }
        PrefixMax newest = new PrefixMax(acquires);
        for (Operation b : acquires) {
            Operation a = newest.before(b.invokeNanos());
            if (a != null && a.token() > b.token()) {
                anomalies.add(Kind.TOKEN_ORDER, b.id(), a.id(), "the " + Words.describe(b, anomalies.origin)
                        + " began after the " + Words.describe(a, anomalies.origin)
                        + " had completed, yet got a smaller token");
            }
        }
    }

    /** The kinds of anomaly, as counted in the summary. */
    public enum Kind {
        /** Tokens did not grow with each new holder (or two holders shared one). */
        TOKEN_ORDER,
        /** A write applied outside its token's range: after a newer holder's acquire, or before its own. */
        STALE_LANDED,
        /** A write with an older token applied after a write with a newer one. */
        INTERLEAVED,
        /** An acknowledged write began after a newer holder's acquire completed. */
        STALE_ACKNOWLEDGED,
        /** The final read disagrees with what clients were told (lost, refused-but-present, unknown values). */
        STORE_DISAGREES
    }

    /** One anomaly: its kind, the operations at fault (the second may be -1) and what happened, in words. */
    public record Anomaly(Kind kind, long operation, long other, String text) {
    }

    private static final class Anomalies {
        final long origin;
        final List<Anomaly> list = new ArrayList<>();
        final Map<Kind, Integer> counts = new java.util.EnumMap<>(Kind.class);

        Anomalies(long origin) {
            this.origin = origin;
        }

        void add(Kind kind, long operation, long other, String text) {
            int n = counts.merge(kind, 1, Integer::sum);
            if (n <= MAX_PER_KIND) {
                list.add(new Anomaly(kind, operation, other, text));
            }
        }
    }

    /** Over acquires sorted by completion: the acquire with the largest token among those completed before t. */
    private static final class PrefixMax {
        private final long[] completes;
        private final Operation[] best;

        PrefixMax(List<Operation> byCompletion) {
            completes = new long[byCompletion.size()];
            best = new Operation[byCompletion.size()];
            Operation max = null;
            for (int i = 0; i < completes.length; i++) {
                Operation a = byCompletion.get(i);
                completes[i] = a.completeNanos();
                if (max == null || a.token() > max.token()) {
                    max = a;
                }
                best[i] = max;
            }
        }

        /** The newest-token acquire completed strictly before {@code nanos}, or null. */
        Operation before(long nanos) {
            int lo = 0;
            int hi = completes.length; // first index with complete >= nanos
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (completes[mid] < nanos) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo == 0 ? null : best[lo - 1];
        }
    }
}
