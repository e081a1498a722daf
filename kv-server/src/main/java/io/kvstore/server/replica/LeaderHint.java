package io.kvstore.server.replica;

/** The leader of a shard as a node believes it to be: node id 0 means unknown. */
public record LeaderHint(long nodeId, long term) {
  public static final LeaderHint UNKNOWN = new LeaderHint(0, 0);

  public boolean known() {
    return nodeId != 0;
  }
}
