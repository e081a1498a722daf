package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * One simulated server: durable storage (survives crashes), the application's durable snapshot, and the
 * volatile parts (the RawNode, the state machine rebuilt from the snapshot on restart, the snapshot
 * staging area).
 */
final class SimNode {
  final long id;
  final MemoryStorage storage;
  RawNode node;

  // Durable: the application's latest snapshot (its state at snapMeta.index).
  SnapshotMetadata snapMeta;
  byte[] snapData;

  // Volatile: the state machine is a rolling digest of applied entries.
  long appliedIndex;
  long digest;

  // Volatile: snapshot staging (see Ready#snapshotChunks).
  long stageIndex;
  long stageTerm;
  ByteArrayOutputStream staged;

  /** Clock drift: this node misses every skipEvery-th tick (0: never). */
  int skipEvery;
  /** A far slower clock (scenario tests beyond the drift bound): ticks only every tickEvery steps. */
  int tickEvery = 1;
  /** SIGSTOP: the step this node was paused at (no ticks, no Readies, inbound held), or -1. */
  long pausedAt = -1;

  /** Oracle bookkeeping: commit index already reported, last term this node was seen leading. */
  long recordedCommit;
  long ledTerm;

  SimNode(long id, MemoryStorage storage) {
    this.id = id;
    this.storage = storage;
    this.snapMeta = storage.snapshotMetadata();
    this.snapData = encodeSnapshot(snapMeta.getIndex(), 0);
  }

  boolean alive() {
    return node != null;
  }

  boolean paused() {
    return pausedAt >= 0;
  }

  RaftCore core() {
    return node.core();
  }

  /** The state machine as the durable snapshot describes it (what a restart starts from). */
  void loadStateFromSnapshot() {
    ByteBuffer b = ByteBuffer.wrap(snapData);
    appliedIndex = b.getLong();
    digest = b.getLong();
  }

  static long mix(long digest, Entry e) {
    long h = digest * 0x100000001B3L + SafetyOracle.hash(e);
    h ^= e.getIndex() * 0xC2B2AE3D27D4EB4FL + e.getTerm();
    return h * 0x9E3779B97F4A7C15L;
  }

  /** A snapshot image: index, digest, then deterministic padding so it spans several chunks. */
  static byte[] encodeSnapshot(long index, long digest) {
    int pad = (int) ((digest ^ (index * 31)) & 1023);
    ByteBuffer b = ByteBuffer.allocate(16 + pad);
    b.putLong(index).putLong(digest);
    for (int i = 0; i < pad; i++) {
      b.put((byte) (i * 7 + index));
    }
    return b.array();
  }
}
