package io.kvstore.raft;

import io.kvstore.raft.proto.SnapshotChunk;

/**
 * A follower's side of a snapshot transfer: which snapshot it is receiving and the next byte offset it
 * expects. Chunks must arrive in order; a chunk at any other offset is answered with the expected offset
 * so the leader resumes from there (after a lost chunk), and offset 0 of another snapshot starts over.
 * The state is volatile: after a restart the follower expects offset 0 again.
 */
final class SnapshotReceiver {
  private long index;
  private long term;
  private long nextOffset;

  /** Returns true when the chunk is the next expected one (and records it), false otherwise. */
  boolean accept(SnapshotChunk chunk) {
    long ci = chunk.getMetadata().getIndex();
    long ct = chunk.getMetadata().getTerm();
    if (ci != index || ct != term) {
      if (chunk.getOffset() != 0) {
        return false;
      }
      index = ci;
      term = ct;
      nextOffset = 0;
    }
    if (chunk.getOffset() != nextOffset) {
      return false;
    }
    nextOffset += chunk.getData().size();
    return true;
  }

  /** The offset expected next for the snapshot (index, term); 0 when it is not the one in progress. */
  long expectedOffset(long snapIndex, long snapTerm) {
    return snapIndex == index && snapTerm == term ? nextOffset : 0;
  }

  void reset() {
    index = 0;
    term = 0;
    nextOffset = 0;
  }
}
