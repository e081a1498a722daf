package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Checks that a history of register operations (get, put, compare-and-swap) on many keys is
 * linearizable: that there is one order of the operations, consistent with the real-time order (an
 * operation that completed before another was invoked comes first), in which every get returns the last
 * value put and every CAS result matches the register's value.
 *
 * <p>Keys are independent registers, and a history is linearizable exactly when each key's sub-history is
 * (linearizability is compositional; Herlihy &amp; Wing 1990, §3.3), so each key is searched on its own
 * — in parallel — by {@link LinearizabilitySearch}. Every key starts absent.
 *
 * <ul>
 *   <li>{@link Outcome#FAIL} operations are dropped: they did not happen.</li>
 *   <li>{@link Outcome#INFO} puts and CASes may take effect at any time after their invocation, or never;
 *   INFO gets are dropped (a read that returned nothing constrains nothing).</li>
 *   <li>A CAS that reported {@code swapped=false} is an observation: the register did not hold the
 *   expected value when it took effect.</li>
 * </ul>
 *
 * <p>Each key's search is bounded by a {@link SearchBudget}; a key that exhausts it is
 * {@link Verdict#UNKNOWN}. For each invalid key the result carries a {@link FailingWindow}.
 *
 * <p>Thread-safe and stateless between calls; {@link #check} blocks until done.
 */
public final class LinearizabilityChecker {
    private final SearchBudget budget;
    private final int threads;

    /** Default budget, one thread per available processor. */
    public LinearizabilityChecker() {
        this(SearchBudget.defaults(), Runtime.getRuntime().availableProcessors());
    }

    public LinearizabilityChecker(SearchBudget budget, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1");
        }
        this.budget = budget;
        this.threads = threads;
    }

    /** Checks every key of {@code history}; set-workload operations (add, read) are rejected. */
    public RegisterCheckResult check(History history) {
        long started = System.nanoTime();
        long origin = history.originNanos();
        Map<String, List<Operation>> byKey = history.byKey();
        List<String> order = new ArrayList<>(byKey.keySet());
        List<String> largestFirst = new ArrayList<>(order);
        largestFirst.sort(Comparator.comparingInt((String k) -> byKey.get(k).size()).reversed());
        Map<String, KeyResult> results = new HashMap<>();
        if (threads == 1 || order.size() <= 1) {
            for (String key : largestFirst) {
                results.put(key, checkKey(key, byKey.get(key), origin));
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, order.size()), r -> {
                Thread t = new Thread(r, "linearizability-check");
                t.setDaemon(true);
                return t;
            });
            try {
                Map<String, Future<KeyResult>> futures = new HashMap<>();
                for (String key : largestFirst) {
                    futures.put(key, pool.submit(() -> checkKey(key, byKey.get(key), origin)));
                }
                for (String key : order) {
                    results.put(key, futures.get(key).get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }
        List<KeyResult> ordered = new ArrayList<>();
        for (String key : order) {
            ordered.add(results.get(key));
        }
        return new RegisterCheckResult(ordered, history.size(), history.count(Outcome.OK),
                history.count(Outcome.FAIL), history.count(Outcome.INFO), System.nanoTime() - started);
    }

    /**
     * Checks one key's operations (all of the same key). {@code origin} is the time shown as zero in the
     * explanation.
     */
    public KeyResult checkKey(String key, List<Operation> ops, long origin) {
        long started = System.nanoTime();
        List<RegisterOp> searchOps = toSearchOps(ops);
        LinearizabilitySearch.Result result =
                new LinearizabilitySearch(searchOps, RegisterOp.ABSENT, budget).run();
        FailingWindow failure = null;
        if (result.verdict() == Verdict.INVALID) {
            long probeSteps = Math.max(200_000, 4 * result.steps());
            failure = new FailureExplainer(key, ops, searchOps, result.culprit(), budget, probeSteps, origin)
                    .explain();
        }
        return new KeyResult(key, result.verdict(), searchOps.size(), result.steps(),
                System.nanoTime() - started, result.unknownReason(), failure);
    }

    /** The operations the search considers, with values interned (absent = 0). */
    static List<RegisterOp> toSearchOps(List<Operation> ops) {
        Map<String, Integer> ids = new HashMap<>();
        List<RegisterOp> out = new ArrayList<>(ops.size());
        for (Operation op : ops) {
            if (op.type() != OpType.GET && op.type() != OpType.PUT && op.type() != OpType.CAS) {
                throw new IllegalArgumentException("operation " + op.id() + " is not a register operation ("
                        + op.type().jsonName() + "); use SetChecker or LockChecker for set or lock histories");
            }
            if (op.outcome() == Outcome.FAIL) {
                continue;
            }
            boolean mandatory = op.outcome() == Outcome.OK;
            int value = intern(ids, op.value());
            RegisterOp.Kind kind;
            switch (op.type()) {
                case GET -> {
                    if (!mandatory) {
                        continue;
                    }
                    kind = RegisterOp.Kind.READ;
                }
                case PUT -> kind = RegisterOp.Kind.WRITE;
                default -> kind = !mandatory || op.swapped() ? RegisterOp.Kind.CAS_SWAPPED
                        : RegisterOp.Kind.CAS_NOT_SWAPPED;
            }
            int expected = op.type() == OpType.CAS ? intern(ids, op.expected()) : RegisterOp.ABSENT;
            out.add(new RegisterOp(op, kind, value, expected, op.invokeNanos(),
                    mandatory ? op.completeNanos() : Long.MAX_VALUE, mandatory));
        }
        return out;
    }

    private static int intern(Map<String, Integer> ids, String value) {
        if (value == null) {
            return RegisterOp.ABSENT;
        }
        return ids.computeIfAbsent(value, v -> ids.size() + 1);
    }
}
