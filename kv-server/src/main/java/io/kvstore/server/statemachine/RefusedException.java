package io.kvstore.server.statemachine;

/**
 * A command the state machine refused when it applied it, changing nothing: a stale fence, an unknown
 * lease, a lock the lease does not hold. Deterministic: every replica refuses the same entry. The
 * services answer it with the status its {@link Reason} names.
 */
public final class RefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The status it maps to (kv.proto's error list). */
  public enum Reason {
    FAILED_PRECONDITION,
    NOT_FOUND,
    /**
     * A retry older than the exactly-once window: the write it retries may or may not have been applied.
     * FAILED_PRECONDITION too (retrying cannot help), but "nothing was changed" would mislead.
     */
    OUTCOME_UNKNOWN
  }

  private final Reason reason;

  public RefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
