package io.kvstore.raft;

/** Thrown when an operation that only a leader can do is asked of a replica that is not the leader. */
public class NotLeaderException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long leader;

  public NotLeaderException(long leader) {
    super(leader == 0 ? "not the leader; leader unknown" : "not the leader; leader is node " + leader);
    this.leader = leader;
  }

  /** The leader this replica knows of in its current term, or 0 when it knows none. */
  public long leader() {
    return leader;
  }
}
