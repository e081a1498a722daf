package io.kvstore.server.worker;

import io.kvstore.raft.ProgressView;
import io.kvstore.raft.RawNode;
import io.kvstore.raft.Role;
import io.kvstore.raft.proto.SnapshotMetadata;
import io.kvstore.storage.ShardSnapshot;

/**
 * When one replica compacts its Raft log (Raft §7), and how: the regular compaction pins nothing; a
 * snapshot is pinned only when a follower asked for one this replica does not hold. Loop thread only.
 *
 * <p>Why not pin at every compaction: a pinned snapshot is a RocksDB snapshot, and with one alive per
 * group at all times, spread over time, every log entry, overwritten value and exactly-once record
 * outlived its deletion into flushes and compactions (a quarter of a node's CPU under write load).
 */
final class LogCompaction {
  private final long shardId;
  private final WorkerContext ctx;
  private final SnapshotTransfer snapshots;
  /** The log's compaction point: entries up to it are gone. */
  private long compactedTo;

  LogCompaction(long shardId, WorkerContext ctx, SnapshotTransfer snapshots, long compactedTo) {
    this.shardId = shardId;
    this.ctx = ctx;
    this.snapshots = snapshots;
    this.compactedTo = compactedTo;
  }

  /** A snapshot was installed: the log now starts after it. */
  void installed(long index) {
    compactedTo = index;
  }

  /**
   * After {@code advance} (so the core's applied index is {@code applied}): pins the snapshot a follower
   * asked for, or compacts the log when it is due.
   */
  void afterAdvance(RawNode raw, long applied, Role role) {
    if (snapshots.takeWanted()) {
      pinSnapshot(raw, applied);
    } else if (due(raw, applied, role)) {
      compact(raw, applied);
    }
  }

  /**
   * Whether to compact now: after {@code snapshotEntries} applied entries; a leader waits (up to four
   * times that) while a follower is still catching up from the log, so it does not need a snapshot for
   * a few missing entries.
   */
  private boolean due(RawNode raw, long applied, Role role) {
    long since = applied - compactedTo;
    long every = ctx.options().snapshotEntries();
    if (since < every) {
      return false;
    }
    if (role != Role.LEADER || since >= 4 * every) {
      return true;
    }
    for (var e : raw.status().progress().entrySet()) {
      var p = e.getValue();
      if (e.getKey() != ctx.nodeId() && p.match() < applied && p.match() >= compactedTo
          && p.state() == ProgressView.State.REPLICATE) {
        return false;
      }
    }
    return true;
  }

  /**
   * A follower needs a snapshot we do not hold: compacts the log up to the applied index and pins a view
   * of the shard at exactly that point (one synced write), kept to stream to it: the core names the
   * snapshot it sends by the log's compaction point, so the data must be that point's. The core's first
   * MSG_SNAPSHOT to that follower failed (see {@link SnapshotTransfer#withData}); it retries with this
   * point.
   */
  private void pinSnapshot(RawNode raw, long applied) {
    ShardSnapshot pinned =
        snapshots.pin(() -> ctx.store().compactAndSnapshot(shardId, raw.snapshotMetadata(applied)));
    compacted(pinned.metadata().getIndex());
  }

  /**
   * The regular compaction: the log up to the applied index, without a snapshot. A pinned snapshot older
   * than the new point could no longer be sent (the core names snapshots by the compaction point), so it
   * is released.
   */
  private void compact(RawNode raw, long applied) {
    SnapshotMetadata point = raw.snapshotMetadata(applied);
    ctx.store().compactLog(shardId, point);
    snapshots.release();
    compacted(point.getIndex());
  }

  private void compacted(long index) {
    compactedTo = index;
    ctx.metrics().compactions.inc();
  }
}
