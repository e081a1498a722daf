package io.kvstore.server.worker;

import io.kvstore.raft.ProgressView;
import io.kvstore.raft.RawNode;
import io.kvstore.raft.Role;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.SnapshotMetadata;
import io.kvstore.storage.ShardSnapshot;
import io.kvstore.storage.StoreBatch;
import java.util.List;

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
  /** This group's share of the node's applied, uncompacted log (see {@link LogRetention}). */
  private final LogRetention.Account retained;
  /** The log's compaction point: entries up to it are gone. */
  private long compactedTo;
  /** The compaction point added to this round's batch ({@link #addTo}), 0 when none. */
  private long staged;
  /**
   * The applied index as the core knows it (as of the last {@code advance}): the core names snapshots
   * only up to it, while the group's own applied index runs one round ahead between apply and advance.
   */
  private long coreApplied;

  LogCompaction(long shardId, WorkerContext ctx, SnapshotTransfer snapshots, long compactedTo, long applied) {
    this.shardId = shardId;
    this.ctx = ctx;
    this.snapshots = snapshots;
    this.compactedTo = compactedTo;
    this.coreApplied = applied;
    this.retained = ctx.logRetention().open();
  }

  /** These entries were applied: their serialized bytes count against the node's budget. */
  void applied(List<Entry> entries) {
    long bytes = 0;
    for (Entry e : entries) {
      bytes += e.getSerializedSize();
    }
    retained.applied(bytes);
  }

  /** A snapshot was installed: the log now starts after it. */
  void installed(long index) {
    compactedTo = index;
    retained.compacted();
  }

  /** The group is gone from this node: its log no longer counts. */
  void close() {
    retained.close();
  }

  /**
   * Step 3 of a round ({@code persist}): adds the regular compaction to the round's synced batch when it
   * is due, up to the index the core knows as applied (that of the previous round's {@code advance}). It
   * then costs no write and no fsync of its own (it used to be one synced write per compaction, on the
   * loop thread). No snapshot is pinned, and the membership stored with the applied index is left alone:
   * only a pinned snapshot reads it, and {@link #pinSnapshot} sets it. A pinned snapshot older than the
   * new point could no longer be sent (the core names snapshots by the compaction point), so it is
   * released once the batch is written. The log's first index is {@code compactedTo + 1}, which every
   * compaction and install keeps current, so no store lookup is needed to know there is log to compact.
   *
   * @return whether a compaction was added: the batch must then be written with SYNC (the applied state
   *     it depends on must be on disk before the entries it replaces are gone)
   */
  boolean addTo(StoreBatch batch, RawNode raw, Role role) {
    if (coreApplied <= compactedTo || !due(raw, coreApplied, role)) {
      return false;
    }
    SnapshotMetadata point = raw.snapshotMetadata(coreApplied);
    batch.compactLog(shardId, point);
    staged = point.getIndex();
    return true;
  }

  /**
   * After {@code advance} (so the core's applied index is {@code applied}): counts the compaction the
   * round's batch carried, and pins the snapshot a follower asked for.
   */
  void afterAdvance(RawNode raw, long applied) {
    coreApplied = applied;
    if (staged > 0) {
      snapshots.release();
      compacted(staged);
      staged = 0;
    }
    if (snapshots.takeWanted()) {
      pinSnapshot(raw, applied);
    }
  }

  /**
   * Whether to compact now: after {@code snapshotEntries} applied entries, or sooner when the node holds
   * more applied log than its budget and this group its share of it ({@link LogRetention}); a leader
   * waits (up to four times that many entries) while a follower is still catching up from the log, so it
   * does not need a snapshot for a few missing entries.
   */
  private boolean due(RawNode raw, long applied, Role role) {
    long since = applied - compactedTo;
    long every = ctx.options().snapshotEntries();
    if (since < every) {
      if (!retained.compactEarly(since)) {
        return false;
      }
      every = since;
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

  private void compacted(long index) {
    compactedTo = index;
    retained.compacted();
    ctx.metrics().compactions.inc();
  }
}
