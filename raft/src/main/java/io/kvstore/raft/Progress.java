package io.kvstore.raft;

import io.kvstore.raft.ProgressView.State;
import io.kvstore.raft.proto.SnapshotMetadata;

/**
 * The leader's view of one member (Raft §5.3 matchIndex/nextIndex, plus etcd's replication states and
 * the snapshot transfer). Invariant: {@code match < next}.
 */
final class Progress {
  long match;
  long next;
  State state = State.PROBE;
  /** In PROBE: an append was sent and not answered yet, so wait (one probe at a time). */
  boolean probeSent;
  /** Heard from since the last check-quorum (thesis §6.2). */
  boolean recentActive;
  /** Highest heartbeat round this member echoed in the current term (ReadIndex and lease). */
  long ackedRound;
  final Inflights inflights;
  /**
   * Loss detection: a heartbeat round sent to this member (0: none outstanding) and {@code next} when it
   * was sent. The first answer to that round or a later one tells whether the appends sent before it
   * arrived.
   */
  long markRound;
  long markNext;

  // Snapshot transfer (state == SNAPSHOT): which snapshot, how many bytes the follower acknowledged, and
  // the offset of the chunk in flight (-1: none).
  SnapshotMetadata snapshot;
  long snapshotAcked;
  long snapshotSentOffset = -1;
  boolean snapshotLastAcked;
  int snapshotTicks;

  Progress(long next, int maxInflight, long maxInflightBytes) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  void becomeProbe() {
    if (state == State.SNAPSHOT) {
      long snapIndex = snapshot == null ? 0 : snapshot.getIndex();
      next = Math.max(match + 1, snapIndex + 1);
    } else {
      next = match + 1;
    }
    state = State.PROBE;
    probeSent = false;
    clearSnapshot();
    inflights.reset();
  }

  void becomeReplicate() {
    state = State.REPLICATE;
    next = match + 1;
    probeSent = false;
    clearSnapshot();
    inflights.reset();
  }

  void becomeSnapshot(SnapshotMetadata meta) {
    state = State.SNAPSHOT;
    probeSent = false;
    inflights.reset();
    snapshot = meta;
    snapshotAcked = 0;
    snapshotSentOffset = -1;
    snapshotLastAcked = false;
    snapshotTicks = 0;
  }

  private void clearSnapshot() {
    snapshot = null;
    snapshotAcked = 0;
    snapshotSentOffset = -1;
    snapshotLastAcked = false;
    snapshotTicks = 0;
  }

  /** An acknowledgement up to {@code index}; false when it tells nothing new. */
  boolean maybeUpdate(long index) {
    boolean updated = false;
    if (match < index) {
      match = index;
      updated = true;
      probeSent = false;
    }
    next = Math.max(next, index + 1);
    return updated;
  }

  /**
   * A rejection of the append whose previous index was {@code rejected}; {@code matchHint} is where the
   * follower's log may match. False when the rejection is stale (reordered or duplicated).
   */
  boolean maybeDecrTo(long rejected, long matchHint) {
    if (state == State.REPLICATE) {
      if (rejected <= match) {
        return false;
      }
      next = match + 1;
      return true;
    }
    if (next - 1 != rejected) {
      return false;
    }
    next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
    probeSent = false;
    return true;
  }

  /** Whether the leader must hold back appends to this member now. */
  boolean isPaused() {
    switch (state) {
      case PROBE:
        return probeSent;
      case REPLICATE:
        return inflights.full();
      default:
        return true;
    }
  }

  ProgressView view(boolean learner) {
    return new ProgressView(
        match,
        next,
        state,
        learner,
        snapshot == null ? 0 : snapshot.getIndex(),
        state == State.SNAPSHOT ? snapshotAcked : 0,
        recentActive);
  }
}
