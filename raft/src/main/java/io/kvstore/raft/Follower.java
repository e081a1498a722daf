package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.List;

/**
 * A follower's handling of what its leader sends: appends (Raft §5.3, with the conflict hint for fast
 * backtracking), heartbeats (commit index, heartbeat rounds, quiescence) and snapshot chunks (§7). Works
 * on the state of its {@link RaftCore}; same thread, no I/O.
 */
final class Follower {
  private final RaftCore c;
  private final SnapshotReceiver receiver = new SnapshotReceiver();

  Follower(RaftCore core) {
    this.c = core;
  }

  private static boolean wellFormed(Message m) {
    long prevTerm = m.getLogTerm();
    long expect = m.getIndex() + 1;
    for (Entry e : m.getEntriesList()) {
      if (e.getIndex() != expect || e.getTerm() < prevTerm || e.getTerm() > m.getTerm()) {
        return false;
      }
      prevTerm = e.getTerm();
      expect++;
    }
    return true;
  }

  void handleAppend(Message m) {
    Message.Builder resp = RaftCore.respond(m, MessageType.MSG_APPEND_RESP);
    if (!wellFormed(m)) {
      c.metrics.drop(DropReason.MALFORMED);
      return;
    }
    if (m.getIndex() < c.log.committed) {
      c.send(resp.setIndex(c.log.committed));
      return;
    }
    if (!c.log.matchTerm(m.getIndex(), m.getLogTerm())) {
      // Fast backtracking (§5.3): tell the leader where our log may match it.
      long[] hint = c.log.findConflictByTerm(Math.min(m.getIndex(), c.log.lastIndex()), m.getLogTerm());
      c.send(resp.setIndex(m.getIndex()).setReject(true).setRejectHint(hint[0]).setRejectTerm(hint[1]));
      return;
    }
    List<Entry> entries = m.getEntriesList();
    long lastNew = m.getIndex() + entries.size();
    int conflict = -1;
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.getIndex() > c.log.lastIndex() || c.log.termOrZero(e.getIndex()) != e.getTerm()) {
        conflict = i;
        break;
      }
    }
    if (conflict >= 0) {
      if (entries.get(conflict).getIndex() <= c.log.committed) {
        // Overwriting a committed entry would break Leader Completeness; refuse, never corrupt.
        c.metrics.drop(DropReason.OUT_OF_RANGE);
        return;
      }
      List<Entry> tail = entries.subList(conflict, entries.size());
      c.log.append(tail);
      c.onAppended(tail);
    }
    c.log.commitTo(Math.min(m.getCommit(), lastNew));
    if (m.getCommitOnly() && entries.isEmpty()) {
      return; // accepted; see Message.commit_only
    }
    c.send(resp.setIndex(lastNew));
  }

  void handleHeartbeat(Message m) {
    if (m.getCommit() > c.log.lastIndex()) {
      c.metrics.drop(DropReason.OUT_OF_RANGE);
    } else {
      c.log.commitTo(m.getCommit());
    }
    if (m.getQuiesce() && c.cfg.quiesce() && c.log.committed == c.log.lastIndex()) {
      c.quiesced = true;
    }
    // This answer leaves before the Ready is persisted (see RaftCore#send): it names our last durable
    // entry, which the leader takes as an acknowledgement, and our last entry received, which lets the
    // leader tell appends still in flight (or being persisted here) from appends that were lost.
    long stable = c.log.stableLastIndex();
    c.send(
        RaftCore.respond(m, MessageType.MSG_HEARTBEAT_RESP)
            .setRound(m.getRound())
            .setIndex(stable)
            .setLogTerm(c.log.termOrZero(stable))
            .setReceivedIndex(c.log.lastIndex())
            .setReceivedTerm(c.log.lastTerm()));
  }

  void handleSnapshotChunk(Message m) {
    SnapshotChunk chunk = m.getSnapshot();
    SnapshotMetadata meta = chunk.getMetadata();
    if (!m.hasSnapshot() || meta.getIndex() == 0 || meta.getTerm() == 0 || meta.getTerm() > m.getTerm()
        || meta.getConfState().getVotersCount() == 0) {
      c.metrics.drop(DropReason.MALFORMED);
      return;
    }
    if (meta.getIndex() <= c.log.committed) {
      c.send(RaftCore.respond(m, MessageType.MSG_APPEND_RESP).setIndex(c.log.committed));
      return;
    }
    if (c.log.matchTerm(meta.getIndex(), meta.getTerm())) {
      // We already hold the snapshot's last entry: its prefix is committed, no need to install.
      c.log.commitTo(meta.getIndex());
      c.send(RaftCore.respond(m, MessageType.MSG_APPEND_RESP).setIndex(c.log.committed));
      return;
    }
    SnapshotChunk.Builder ack = SnapshotChunk.newBuilder().setMetadata(meta);
    if (c.log.unstableSnapshot() != null) {
      // A received snapshot awaits installation by the driver: a newer one would replace its staged
      // data before it is installed. Ask the leader to start this one over later.
      c.metrics.drop(DropReason.SNAPSHOT_CHUNK_OUT_OF_ORDER);
      c.send(RaftCore.respond(m, MessageType.MSG_SNAPSHOT_RESP).setReject(true).setSnapshot(ack.setOffset(0)));
      return;
    }
    if (!receiver.accept(chunk)) {
      c.metrics.drop(DropReason.SNAPSHOT_CHUNK_OUT_OF_ORDER);
      ack.setOffset(receiver.expectedOffset(meta.getIndex(), meta.getTerm()));
      c.send(RaftCore.respond(m, MessageType.MSG_SNAPSHOT_RESP).setReject(true).setSnapshot(ack));
      return;
    }
    c.chunksToStage.add(chunk);
    ack.setOffset(chunk.getOffset() + chunk.getData().size()).setLast(chunk.getLast());
    c.send(RaftCore.respond(m, MessageType.MSG_SNAPSHOT_RESP).setSnapshot(ack));
    if (chunk.getLast()) {
      c.log.restore(meta);
      c.restoreMembership(meta);
      receiver.reset();
      c.metrics.snapshotInstalled();
      c.send(RaftCore.respond(m, MessageType.MSG_APPEND_RESP).setIndex(meta.getIndex()));
    }
  }
}
