package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Records what clients saw, for the checkers: call an {@code invoke…} method just before sending a request
 * and one completion method on the returned {@link Pending} when the answer (or the give-up) arrives.
 *
 * <pre>{@code
 * HistoryRecorder rec = new HistoryRecorder();
 * HistoryRecorder.Pending p = rec.invokePut(client, "k3", "v8");
 * try { kv.put("k3", "v8"); p.ok(); }
 * catch (DefinitelyNotApplied e) { p.fail(e.toString()); }   // e.g. rejected before proposing
 * catch (Exception e) { p.info(e.toString()); }              // timeout, unavailable, ...: unknown
 * ...
 * History h = rec.history();
 * }</pre>
 *
 * <p>Thread-safe: any number of client threads may record at once; each {@code Pending} must be completed
 * at most once. Times come from one monotonic clock ({@link System#nanoTime()} by default), the same one
 * {@link #now()} reads for fault windows.
 */
public final class HistoryRecorder {
    private final LongSupplier clock;
    private final AtomicLong nextId = new AtomicLong();
    private final Map<Long, Operation> completed = new ConcurrentHashMap<>();
    private final Map<Long, Pending> inFlight = new ConcurrentHashMap<>();

    public HistoryRecorder() {
        this(System::nanoTime);
    }

    /** A recorder on another clock (tests, simulations). */
    public HistoryRecorder(LongSupplier clock) {
        this.clock = clock;
    }

    /** The recorder's clock: use it to time fault windows. */
    public long now() {
        return clock.getAsLong();
    }

    public Pending invokeGet(int client, String key) {
        return invoke(client, OpType.GET, key, null, null);
    }

    public Pending invokePut(int client, String key, String value) {
        return invoke(client, OpType.PUT, key, value, null);
    }

    /** A compare-and-swap of {@code key} from {@code expected} ({@code null} = absent) to {@code value}. */
    public Pending invokeCas(int client, String key, String expected, String value) {
        return invoke(client, OpType.CAS, key, value, expected);
    }

    public Pending invokeAdd(int client, String set, String element) {
        return invoke(client, OpType.ADD, set, element, null);
    }

    public Pending invokeRead(int client, String set) {
        return invoke(client, OpType.READ, set, null, null);
    }

    /** An acquire of {@code lock} for the lease {@code lease}; complete it with {@link Pending#okAcquire}. */
    public Pending invokeAcquire(int client, String lock, long lease) {
        return invoke(client, OpType.ACQUIRE, lock, Long.toString(lease), null, 0);
    }

    /**
     * A write of the unique {@code value}, fenced by {@code lock} and {@code token}; complete it with
     * {@link Pending#okGuardedPut}, or {@link Pending#fail} when the store refused the fence.
     */
    public Pending invokeGuardedPut(int client, String lock, String value, long token) {
        return invoke(client, OpType.GUARDED_PUT, lock, value, null, token);
    }

    /** A release of {@code lock} held by {@code lease} with {@code token}; complete it with {@link Pending#ok}. */
    public Pending invokeRelease(int client, String lock, long lease, long token) {
        return invoke(client, OpType.RELEASE, lock, Long.toString(lease), null, token);
    }

    private Pending invoke(int client, OpType type, String key, String value, String expected) {
        return invoke(client, type, key, value, expected, 0);
    }

    private Pending invoke(int client, OpType type, String key, String value, String expected, long token) {
        Pending p = new Pending(nextId.getAndIncrement(), client, type, key, value, expected, clock.getAsLong(),
                token);
        inFlight.put(p.id, p);
        return p;
    }

    /**
     * The history so far: every completed operation, plus every operation still in flight as INFO
     * (its client has not heard back, so it may yet take effect), with completion time now.
     */
    public History history() {
        long now = clock.getAsLong();
        // Snapshot in-flight first: an operation completing meanwhile is then found completed (a pending
        // entry is removed only after its completed entry is stored), so none is lost or counted twice.
        List<Pending> running = new ArrayList<>(inFlight.values());
        Map<Long, Operation> ops = new java.util.HashMap<>(completed);
        for (Pending p : running) {
            ops.computeIfAbsent(p.id, id -> p.operation(Outcome.INFO, p.type == OpType.GET ? null : p.value,
                    false, List.of(), Math.max(now, p.invokeNanos), "still running when the history was taken"));
        }
        return History.of(ops.values());
    }

    /** Operations completed so far. */
    public int completedCount() {
        return completed.size();
    }

    /** An operation sent and not yet answered. Complete it exactly once. */
    public final class Pending {
        private final long id;
        private final int client;
        private final OpType type;
        private final String key;
        private final String value;
        private final String expected;
        private final long invokeNanos;
        private final long token;
        private final AtomicBoolean done = new AtomicBoolean();

        private Pending(long id, int client, OpType type, String key, String value, String expected,
                        long invokeNanos, long token) {
            this.token = token;
            this.id = id;
            this.client = client;
            this.type = type;
            this.key = key;
            this.value = value;
            this.expected = expected;
            this.invokeNanos = invokeNanos;
        }

        /** A put, add or release was acknowledged. */
        public void ok() {
            if (type != OpType.PUT && type != OpType.ADD && type != OpType.RELEASE) {
                throw new IllegalStateException("ok() is for put, add and release; use okGet, okCas, okRead,"
                        + " okAcquire or okGuardedPut");
            }
            complete(Outcome.OK, value, false, List.of(), null);
        }

        /** An acquire was granted with this fencing token. */
        public void okAcquire(long grantedToken) {
            requireType(OpType.ACQUIRE);
            complete(Outcome.OK, value, false, List.of(), null, grantedToken, 0);
        }

        /** A guarded write was acknowledged at this version. */
        public void okGuardedPut(long version) {
            requireType(OpType.GUARDED_PUT);
            complete(Outcome.OK, value, false, List.of(), null, token, version);
        }

        /** A get returned {@code returned} ({@code null}: the key was absent). */
        public void okGet(String returned) {
            requireType(OpType.GET);
            complete(Outcome.OK, returned, false, List.of(), null);
        }

        /** A compare-and-swap answered: swapped, or found another value. */
        public void okCas(boolean swapped) {
            requireType(OpType.CAS);
            complete(Outcome.OK, value, swapped, List.of(), null);
        }

        /** A set read returned these elements. */
        public void okRead(List<String> elements) {
            requireType(OpType.READ);
            complete(Outcome.OK, null, false, elements, null);
        }

        /** The operation definitely did not take effect (e.g. rejected before it was proposed). */
        public void fail(String error) {
            complete(Outcome.FAIL, type == OpType.GET ? null : value, false, List.of(), error);
        }

        /** The outcome is unknown (timeout, connection lost, ...): it may take effect at any later time. */
        public void info(String error) {
            complete(Outcome.INFO, type == OpType.GET ? null : value, false, List.of(), error);
        }

        private void requireType(OpType expectedType) {
            if (type != expectedType) {
                throw new IllegalStateException("operation " + id + " is a " + type.jsonName() + ", not a "
                        + expectedType.jsonName());
            }
        }

        private void complete(Outcome outcome, String v, boolean swapped, List<String> elements, String error) {
            complete(outcome, v, swapped, elements, error, type == OpType.ACQUIRE ? 0 : token, 0);
        }

        private void complete(Outcome outcome, String v, boolean swapped, List<String> elements, String error,
                              long opToken, long version) {
            if (!done.compareAndSet(false, true)) {
                throw new IllegalStateException("operation " + id + " completed twice");
            }
            long now = Math.max(clock.getAsLong(), invokeNanos);
            completed.put(id, operation(outcome, v, swapped, elements, now, error, opToken, version));
            inFlight.remove(id);
        }

        private Operation operation(Outcome outcome, String v, boolean swapped, List<String> elements,
                                    long completeNanos, String error) {
            return operation(outcome, v, swapped, elements, completeNanos, error,
                    type == OpType.ACQUIRE ? 0 : token, 0);
        }

        private Operation operation(Outcome outcome, String v, boolean swapped, List<String> elements,
                                    long completeNanos, String error, long opToken, long version) {
            return new Operation(id, client, type, key, v, expected, swapped && outcome == Outcome.OK, elements,
                    outcome, invokeNanos, completeNanos, error, opToken, version);
        }
    }
}
