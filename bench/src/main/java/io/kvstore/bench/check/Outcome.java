package io.kvstore.bench.check;

/**
 * What the client learned about an operation when it stopped waiting.
 *
 * <p>The distinction between {@link #FAIL} and {@link #INFO} is the whole point of the history: a client
 * may record {@code FAIL} only when it knows the operation had no effect (for example the server rejected
 * it before proposing it). Anything else that went wrong — a timeout, a dropped connection, a leader that
 * stepped down after the proposal — is {@code INFO}. A compare-and-swap that found another value is not a
 * failure: it is {@code OK} with {@link Operation#swapped()} false, an observation the checker uses.
 */
public enum Outcome {
    /** Completed and acknowledged; its result (a read value, a CAS result) is what the client saw. */
    OK,
    /** Definitely did not take effect. The checker ignores it, except to explain anomalies. */
    FAIL,
    /**
     * Unknown: it may have taken effect at any moment after its invocation, including after the client gave
     * up on it; the checker treats its completion time as +infinity.
     */
    INFO;

    /** The lower-case name used in history files. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Outcome fromJson(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
}
