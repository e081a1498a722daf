package io.kvstore.raft;

/**
 * What a leader knows of one replica's log (Raft §5.3: matchIndex, nextIndex).
 *
 * @param match highest index known to be replicated on the replica
 * @param next next index to send
 * @param state how the leader replicates to it now
 * @param learner true for a non-voting member
 * @param snapshotIndex while {@code state == SNAPSHOT}: the index of the snapshot being sent, else 0
 * @param snapshotOffset while {@code state == SNAPSHOT}: bytes the replica acknowledged
 * @param recentActive the leader heard from the replica within the current check-quorum window (about an
 *     election timeout); false for a replica that is down or cut off (always true for the leader itself)
 */
public record ProgressView(
    long match, long next, State state, boolean learner, long snapshotIndex, long snapshotOffset,
    boolean recentActive) {

  /** Replication mode towards one replica (etcd's progress states). */
  public enum State {
    /** One append at a time until the leader finds where the logs match. */
    PROBE,
    /** Appends are pipelined (several in flight, bounded by count and bytes). */
    REPLICATE,
    /** The replica needs entries the leader compacted: a snapshot is being streamed to it. */
    SNAPSHOT
  }
}
