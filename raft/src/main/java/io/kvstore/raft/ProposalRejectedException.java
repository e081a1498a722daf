package io.kvstore.raft;

/**
 * Thrown when the leader refuses a proposal for a reason other than not being the leader: a leadership
 * transfer is in progress, a membership change is still pending, or the change itself is invalid. Nothing
 * was appended; the caller may retry later (except for {@link Reason#INVALID_CONF_CHANGE}).
 */
public class ProposalRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the proposal was refused. */
  public enum Reason {
    /** The leader is handing leadership to another node (thesis §3.10); retry on the new leader. */
    LEADER_TRANSFER_IN_PROGRESS,
    /**
     * A membership change is not committed yet, or the leader has not committed an entry of its own term
     * yet (the fix for single-server changes, thesis §4.1 and the raft-dev "bug in single-server
     * membership changes" note). Retry shortly.
     */
    CONF_CHANGE_PENDING,
    /** The change would alter more than one voter at once, remove every voter, or is otherwise invalid. */
    INVALID_CONF_CHANGE
  }

  private final Reason reason;

  public ProposalRejectedException(Reason reason, String message) {
    super(reason + ": " + message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
