package io.kvstore.server.worker;

import io.kvstore.raft.RawNode;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import io.kvstore.storage.IncomingSnapshot;
import io.kvstore.storage.ShardSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One replica's snapshots on the wire: the snapshot it pinned for followers that need one (sent in chunks,
 * within the node's snapshot bandwidth), and the one it is receiving from its leader (staged chunk by
 * chunk until the core asks to install it). Loop thread only.
 */
final class SnapshotTransfer implements AutoCloseable {
  private final long shardId;
  private final WorkerContext ctx;
  private ShardSnapshot outgoing;
  private IncomingSnapshot incoming;
  /** Followers a chunk could not be read for this round: the core is told after the Ready. */
  private final List<Long> failures = new ArrayList<>();
  /** A MSG_SNAPSHOT named a snapshot we do not hold: take a fresh one at the next advance. */
  private boolean wanted;

  SnapshotTransfer(long shardId, WorkerContext ctx) {
    this.shardId = shardId;
    this.ctx = ctx;
  }

  /** A MSG_SNAPSHOT with its chunk of data, or null when it cannot leave now (see the comments). */
  Message withData(Message m) {
    SnapshotMetadata want = m.getSnapshot().getMetadata();
    if (outgoing == null || outgoing.metadata().getIndex() != want.getIndex()
        || outgoing.metadata().getTerm() != want.getTerm()) {
      // Not the snapshot we hold (e.g. after a restart): take a fresh one; the core retries with it.
      failures.add(m.getTo());
      wanted = true;
      return null;
    }
    try {
      SnapshotChunk chunk = outgoing.chunk(m.getSnapshot().getOffset());
      if (!ctx.snapshotBandwidth().tryTake(chunk.getData().size(), System.nanoTime())) {
        return null; // over the node's snapshot budget: the core sends this chunk again later
      }
      ctx.metrics().snapshotsSent.inc();
      ctx.metrics().snapshotBytesSent.inc(chunk.getData().size());
      return m.toBuilder().setSnapshot(chunk).build();
    } catch (IllegalArgumentException e) {
      failures.add(m.getTo());
      return null;
    }
  }

  /** Stages the chunks this follower accepted; a chunk at offset 0 starts a new staging area. */
  void stage(List<SnapshotChunk> chunks) {
    for (SnapshotChunk c : chunks) {
      if (c.getOffset() == 0) {
        closeIncoming();
        incoming = ctx.store().receiveSnapshot(shardId, c.getMetadata());
      }
      if (incoming == null || incoming.metadata().getIndex() != c.getMetadata().getIndex()) {
        throw new IllegalStateException("shard " + shardId + ": snapshot chunk at offset " + c.getOffset()
            + " for a snapshot that is not being staged");
      }
      incoming.accept(c);
    }
  }

  /** The completely staged snapshot {@code snap}, to install. */
  IncomingSnapshot staged(SnapshotMetadata snap) {
    if (incoming == null || !incoming.isComplete() || incoming.metadata().getIndex() != snap.getIndex()) {
      throw new IllegalStateException("shard " + shardId + ": asked to install snapshot " + snap.getIndex()
          + " but it was not staged completely");
    }
    return incoming;
  }

  /** A snapshot was installed: the staged one is used up, and the pinned one is older than our state. */
  void installed() {
    close();
  }

  /** Tells the core which followers could not get their chunk (after the Ready). */
  void reportFailures(RawNode raw) {
    for (long to : failures) {
      raw.reportSnapshotFailure(to);
    }
    failures.clear();
  }

  /** Whether a follower asked for a snapshot we no longer hold (cleared by the call). */
  boolean takeWanted() {
    boolean w = wanted;
    wanted = false;
    return w;
  }

  /** Releases the pinned snapshot, then pins the one {@code take} makes, for followers that need one. */
  ShardSnapshot pin(Supplier<ShardSnapshot> take) {
    closeOutgoing();
    outgoing = take.get();
    return outgoing;
  }

  /** Releases the pinned snapshot, if any (the log was compacted past it). */
  void release() {
    closeOutgoing();
  }

  @Override
  public void close() {
    closeOutgoing();
    closeIncoming();
  }

  private void closeOutgoing() {
    if (outgoing != null) {
      outgoing.close();
      outgoing = null;
    }
  }

  private void closeIncoming() {
    if (incoming != null) {
      incoming.close();
      incoming = null;
    }
  }
}
