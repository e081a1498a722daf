package io.kvstore.bench.check;

import java.util.List;
import java.util.Objects;

/**
 * One operation of a history, as one client saw it: what it asked, what came back, and when.
 *
 * <p>Times are {@link System#nanoTime()}-style monotonic nanoseconds from one clock shared by all clients
 * of a run (the recorder's JVM). {@code invokeNanos} is taken just before the request is sent and
 * {@code completeNanos} just after the answer (or the give-up) arrives, so the true effect, if any, lies
 * within {@code [invokeNanos, completeNanos]} — or, for {@link Outcome#INFO}, anywhere after
 * {@code invokeNanos}; then {@code completeNanos} is only when the client stopped waiting and is used for
 * display, never for checking.
 *
 * @param id            unique within the history; the order of ids carries no meaning
 * @param client        the client (process) that issued it; one client has at most one operation in flight
 * @param type          what it is
 * @param key           the register key (set name, lock name), as text; binary keys are hex-encoded by the recorder
 * @param value         PUT: value written; GET: value returned ({@code null} = absent, or unknown when not
 *                      OK); CAS: new value; ADD: the element; READ: unused ({@code null})
 * @param expected      CAS only: the value compared against ({@code null} = absent)
 * @param swapped       CAS with outcome OK only: whether the swap happened; {@code false} means the register
 *                      did not hold {@code expected} at the moment the CAS took effect
 * @param elements      READ only, outcome OK: the elements returned, in the order returned; else empty
 * @param outcome       what the client learned
 * @param invokeNanos   when the client sent it
 * @param completeNanos when the client got the answer or gave up; {@code >= invokeNanos}
 * @param error         optional free text (e.g. a gRPC status) that explains a FAIL or INFO; may be null
 * @param token         ACQUIRE (OK): the fencing token granted; GUARDED_PUT and RELEASE: the token presented;
 *                      else 0
 * @param version       GUARDED_PUT with outcome OK: the version the store acknowledged; else 0
 */
public record Operation(
        long id,
        int client,
        OpType type,
        String key,
        String value,
        String expected,
        boolean swapped,
        List<String> elements,
        Outcome outcome,
        long invokeNanos,
        long completeNanos,
        String error,
        long token,
        long version) {

    public Operation {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        elements = elements == null ? List.of() : List.copyOf(elements);
        if (completeNanos < invokeNanos) {
            throw new IllegalArgumentException("operation " + id + " completes (" + completeNanos
                    + ") before it is invoked (" + invokeNanos + ")");
        }
        if (token < 0 || version < 0) {
            throw new IllegalArgumentException("operation " + id + ": token and version must not be negative");
        }
        if (swapped && (type != OpType.CAS || outcome != Outcome.OK)) {
            throw new IllegalArgumentException("operation " + id + ": only an OK CAS can have swapped=true");
        }
    }

    /** An operation with no fencing token and no version (every operation but the lock workload's). */
    public Operation(long id, int client, OpType type, String key, String value, String expected, boolean swapped,
                     List<String> elements, Outcome outcome, long invokeNanos, long completeNanos, String error) {
        this(id, client, type, key, value, expected, swapped, elements, outcome, invokeNanos, completeNanos, error,
                0, 0);
    }

    /** A read of a register; {@code returned} is {@code null} when the key was absent (or unknown). */
    public static Operation get(long id, int client, String key, String returned, Outcome outcome,
                                long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.GET, key, returned, null, false, List.of(), outcome,
                invokeNanos, completeNanos, null);
    }

    /** A write of {@code value} to a register. */
    public static Operation put(long id, int client, String key, String value, Outcome outcome,
                                long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.PUT, key, value, null, false, List.of(), outcome,
                invokeNanos, completeNanos, null);
    }

    /** A compare-and-swap; {@code swapped} is meaningful only when {@code outcome} is OK. */
    public static Operation cas(long id, int client, String key, String expected, String value, boolean swapped,
                                Outcome outcome, long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.CAS, key, value, expected, swapped && outcome == Outcome.OK,
                List.of(), outcome, invokeNanos, completeNanos, null);
    }

    /** An add of a unique element to the set {@code set}. */
    public static Operation add(long id, int client, String set, String element, Outcome outcome,
                                long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.ADD, set, element, null, false, List.of(), outcome,
                invokeNanos, completeNanos, null);
    }

    /** An acquire of {@code lock} by {@code lease}; {@code token} (0 unless OK) is the fencing token granted. */
    public static Operation acquire(long id, int client, String lock, long lease, long token, Outcome outcome,
                                    long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.ACQUIRE, lock, Long.toString(lease), null, false, List.of(), outcome,
                invokeNanos, completeNanos, null, outcome == Outcome.OK ? token : 0, 0);
    }

    /** A write of {@code value} fenced by {@code lock} and {@code token}; {@code version} (0 unless OK) as acknowledged. */
    public static Operation guardedPut(long id, int client, String lock, String value, long token, long version,
                                       Outcome outcome, long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.GUARDED_PUT, lock, value, null, false, List.of(), outcome,
                invokeNanos, completeNanos, null, token, outcome == Outcome.OK ? version : 0);
    }

    /** A release of {@code lock} by {@code lease}, which held it with {@code token}. */
    public static Operation release(long id, int client, String lock, long lease, long token, Outcome outcome,
                                    long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.RELEASE, lock, Long.toString(lease), null, false, List.of(), outcome,
                invokeNanos, completeNanos, null, token, 0);
    }

    /** A read of the whole set {@code set}. */
    public static Operation read(long id, int client, String set, List<String> elements, Outcome outcome,
                                 long invokeNanos, long completeNanos) {
        return new Operation(id, client, OpType.READ, set, null, null, false, elements, outcome,
                invokeNanos, completeNanos, null);
    }

    /** This operation with another outcome (a CAS that is no longer OK loses its {@code swapped}). */
    public Operation withOutcome(Outcome newOutcome) {
        return new Operation(id, client, type, key, value, expected, swapped && newOutcome == Outcome.OK,
                elements, newOutcome, invokeNanos, completeNanos, error, token, version);
    }

    /** This operation with another value (the value read, written or added). */
    public Operation withValue(String newValue) {
        return new Operation(id, client, type, key, newValue, expected, swapped, elements, outcome,
                invokeNanos, completeNanos, error, token, version);
    }

    /** This CAS with another swap result. */
    public Operation withSwapped(boolean newSwapped) {
        return new Operation(id, client, type, key, value, expected, newSwapped, elements, outcome,
                invokeNanos, completeNanos, error, token, version);
    }

    /** This operation with an explanatory error text. */
    public Operation withError(String newError) {
        return new Operation(id, client, type, key, value, expected, swapped, elements, outcome,
                invokeNanos, completeNanos, newError, token, version);
    }

    /** Completion minus invocation: the latency the client saw (for INFO, how long it waited). */
    public long latencyNanos() {
        return completeNanos - invokeNanos;
    }

    /**
     * True when this operation may have changed a register: an OK put, an OK CAS that swapped, or an INFO
     * put or CAS. FAIL operations and CAS that reported no swap changed nothing.
     */
    public boolean mayHaveWritten() {
        if (!type.writesRegister() || outcome == Outcome.FAIL) {
            return false;
        }
        return outcome == Outcome.INFO || type == OpType.PUT || swapped;
    }
}
