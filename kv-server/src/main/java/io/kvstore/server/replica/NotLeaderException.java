package io.kvstore.server.replica;

/** Thrown (as a future's failure) when this node's replica does not lead the shard; the known leader rides along. */
public final class NotLeaderException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long shardId;
  private final LeaderHint leader;

  public NotLeaderException(long shardId, LeaderHint leader) {
    super("this node does not lead shard " + shardId
        + (leader.known() ? "; its leader is node " + leader.nodeId() : "; no leader is known yet"));
    this.shardId = shardId;
    this.leader = leader;
  }

  public long shardId() {
    return shardId;
  }

  public LeaderHint leader() {
    return leader;
  }
}
