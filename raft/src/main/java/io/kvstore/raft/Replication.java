package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's half of the core: log replication (Raft §5.3) with pipelining and flow control,
 * heartbeats and check-quorum, the commit rule, snapshot streaming, leadership transfer and quiescence.
 * Works on the state of its {@link RaftCore}; same thread, no I/O.
 */
final class Replication {
  private final RaftCore c;
  /** New entries since the last flush: send them to every follower (batched per Ready). */
  boolean broadcastPending;
  /** The commit index moved: followers that get no new entries still need to learn it. */
  private boolean commitBroadcastPending;

  Replication(RaftCore core) {
    this.c = core;
  }

  /** Makes {@code progress} hold exactly the members other than this node. */
  void syncProgress() {
    long next = c.log.lastIndex() + 1;
    for (long v : c.membership.voters()) {
      addProgress(v, next);
    }
    for (long l : c.membership.learners()) {
      addProgress(l, next);
    }
    c.progress.keySet().removeIf(peer -> !c.membership.contains(peer));
  }

  private void addProgress(long peer, long next) {
    if (peer != c.id && !c.progress.containsKey(peer)) {
      Progress pr = new Progress(next, c.cfg.maxInflightMsgs(), c.cfg.maxInflightBytes());
      pr.recentActive = true;
      c.progress.put(peer, pr);
    }
  }

  // ---------------------------------------------------------------- ticks

  void tickLeader() {
    c.heartbeatElapsed++;
    c.electionElapsed++;
    if (c.electionElapsed >= c.cfg.electionTick()) {
      c.electionElapsed = 0;
      if (c.cfg.checkQuorum() && !quorumActive()) {
        // Thesis §6.2: a leader cut off from a quorum steps down instead of serving stale reads forever.
        c.becomeFollower(c.term, 0);
        return;
      }
      for (Progress pr : c.progress.values()) {
        pr.recentActive = false;
      }
      c.leadTransferee = 0; // a transfer that did not finish within an election timeout is abandoned
    }
    for (Map.Entry<Long, Progress> e : c.progress.entrySet()) {
      Progress pr = e.getValue();
      if (pr.state == ProgressView.State.SNAPSHOT && ++pr.snapshotTicks >= c.cfg.snapshotRetryTicks()) {
        sendChunk(e.getKey(), pr, pr.snapshotLastAcked ? pr.snapshotSentOffset : pr.snapshotAcked);
      }
    }
    if (c.heartbeatElapsed >= c.cfg.heartbeatTick()) {
      c.heartbeatElapsed = 0;
      if (c.cfg.quiesce() && canQuiesce()) {
        broadcastHeartbeat(true);
        c.quiesced = true;
      } else {
        broadcastHeartbeat(false);
      }
    }
  }

  private boolean quorumActive() {
    int active = 0;
    for (long v : c.membership.voters()) {
      if (v == c.id) {
        active++;
      } else {
        Progress pr = c.progress.get(v);
        if (pr != null && pr.recentActive) {
          active++;
        }
      }
    }
    return active >= c.membership.quorum();
  }

  private boolean canQuiesce() {
    long last = c.log.lastIndex();
    if (c.log.committed != last || c.log.stableLastIndex() != last || !c.committedInTerm()
        || c.leadTransferee != 0 || c.reads.hasPending() || c.hasReadsAwaitingCommit()
        || c.readRoundPending || broadcastPending) {
      return false;
    }
    for (Progress pr : c.progress.values()) {
      if (pr.state != ProgressView.State.REPLICATE || pr.match != last) {
        return false;
      }
    }
    return true;
  }

  /** Starts a heartbeat round to every member (ReadIndex and lease confirmations ride on it). */
  void broadcastHeartbeat(boolean quiesce) {
    broadcastHeartbeat(quiesce, null);
  }

  /** Starts a heartbeat round to {@code to} (null: every member). */
  private void broadcastHeartbeat(boolean quiesce, Set<Long> to) {
    long round = c.reads.nextRound(c.tickCount);
    c.readRoundPending = false;
    for (Map.Entry<Long, Progress> e : c.progress.entrySet()) {
      if (to != null && !to.contains(e.getKey())) {
        continue;
      }
      if (e.getValue().markRound == 0) {
        e.getValue().markRound = round;
        e.getValue().markNext = e.getValue().next;
      }
      c.send(
          Message.newBuilder()
              .setType(MessageType.MSG_HEARTBEAT)
              .setTo(e.getKey())
              .setCommit(Math.min(e.getValue().match, c.log.committed))
              .setRound(round)
              .setQuiesce(quiesce));
    }
    updateQuorumRound();
  }

  /**
   * The followers a round asked for by reads goes to: just enough voters to make a quorum with this
   * leader, those that echoed the newest rounds first, plus every follower that forwarded one of the
   * reads (it must learn the commit index to serve it). Null (every member) when those are not known to
   * be keeping up. A quorum confirms the reads (Raft §6.4) whichever voters it is made of; asking only
   * one follower of three halves the messages of a read-heavy shard. If a chosen follower has gone
   * quiet, the next tick's heartbeat, which goes to every member, confirms the reads instead.
   */
  private Set<Long> readRoundTargets() {
    int need = c.membership.quorum() - (c.membership.isVoter(c.id) ? 1 : 0);
    List<Long> voters = new ArrayList<>();
    for (long v : c.membership.voters()) {
      if (v != c.id && c.progress.containsKey(v)) {
        voters.add(v);
      }
    }
    if (voters.size() < need) {
      return null;
    }
    voters.sort((a, b) -> {
      int byRound = Long.compare(c.progress.get(b).ackedRound, c.progress.get(a).ackedRound);
      return byRound != 0 ? byRound : Long.compare(a, b);
    });
    Set<Long> to = c.reads.pendingForwarders();
    for (long v : voters.subList(0, need)) {
      if (c.progress.get(v).ackedRound < c.reads.quorumRound()) {
        return null; // even the quickest needed are behind the last confirmed round: ask everyone
      }
      to.add(v);
    }
    return to;
  }

  private void updateQuorumRound() {
    long r =
        c.membership.committedIndex(
            v -> {
              if (v == c.id) {
                return c.reads.currentRound();
              }
              Progress pr = c.progress.get(v);
              return pr == null ? 0 : pr.ackedRound;
            });
    for (ReadTracker.PendingRead read : c.reads.quorumAcked(r)) {
      c.deliverRead(read, false);
    }
  }

  /** Sends what accumulated since the last Ready: one append per follower for all new entries. */
  void flush() {
    if (c.role != Role.LEADER) {
      broadcastPending = false;
      commitBroadcastPending = false;
      return;
    }
    if (c.readRoundPending) {
      broadcastHeartbeat(false, readRoundTargets());
    }
    if (broadcastPending || commitBroadcastPending) {
      boolean sendEmpty = commitBroadcastPending;
      broadcastPending = false;
      commitBroadcastPending = false;
      for (Map.Entry<Long, Progress> e : c.progress.entrySet()) {
        sendAppends(e.getKey(), e.getValue(), sendEmpty);
      }
    }
  }

  // ---------------------------------------------------------------- appends

  private void sendAppends(long to, Progress pr, boolean sendIfEmpty) {
    while (maybeSendAppend(to, pr, sendIfEmpty)) {
      sendIfEmpty = false;
    }
  }

  private boolean maybeSendAppend(long to, Progress pr, boolean sendIfEmpty) {
    if (pr.isPaused()) {
      return false;
    }
    long prev = pr.next - 1;
    long prevTerm = c.log.termOrZero(prev);
    if (prevTerm == 0 && prev > 0) {
      if (prev < c.log.firstIndex() - 1) {
        sendSnapshot(to, pr);
      }
      return false;
    }
    List<Entry> entries;
    try {
      entries = c.log.entries(pr.next, c.log.lastIndex() + 1, c.cfg.maxSizePerMsg());
    } catch (CompactedException e) {
      sendSnapshot(to, pr);
      return false;
    } catch (UnavailableException e) {
      return false; // storage will have it later; the next heartbeat response retries
    }
    if (entries.isEmpty() && !sendIfEmpty) {
      return false;
    }
    c.send(
        Message.newBuilder()
            .setType(MessageType.MSG_APPEND)
            .setTo(to)
            .setIndex(prev)
            .setLogTerm(prevTerm)
            .addAllEntries(entries)
            .setCommit(c.log.committed)
            // Only a commit notice to a follower we replicate to: its acknowledgement would tell us
            // nothing (match is known, nothing is in flight for it). A probe must be answered.
            .setCommitOnly(entries.isEmpty() && pr.state == ProgressView.State.REPLICATE));
    if (!entries.isEmpty() && pr.state == ProgressView.State.REPLICATE) {
      long last = entries.get(entries.size() - 1).getIndex();
      long bytes = 0;
      for (Entry e : entries) {
        bytes += e.getSerializedSize();
      }
      pr.next = last + 1;
      pr.inflights.add(last, bytes);
    } else if (pr.state == ProgressView.State.PROBE) {
      pr.probeSent = true;
    }
    return true;
  }

  void stepLeader(Message m) {
    long from = m.getFrom();
    Progress pr = c.progress.get(from);
    switch (m.getType()) {
      case MSG_APPEND_RESP:
      case MSG_HEARTBEAT_RESP:
      case MSG_SNAPSHOT_RESP:
        if (pr == null) {
          c.metrics.drop(DropReason.UNKNOWN_SENDER);
          return;
        }
        pr.recentActive = true;
        if (m.getType() == MessageType.MSG_APPEND_RESP) {
          handleAppendResp(from, pr, m);
        } else if (m.getType() == MessageType.MSG_HEARTBEAT_RESP) {
          handleHeartbeatResp(from, pr, m);
        } else {
          handleSnapshotResp(from, pr, m);
        }
        return;
      case MSG_READ_INDEX:
        if (pr == null) {
          c.metrics.drop(DropReason.UNKNOWN_SENDER);
          return;
        }
        c.readIndex(m.getContext().toByteArray(), from, false);
        return;
      case MSG_TRANSFER_LEADER:
        if (pr == null || !c.membership.isVoter(m.getIndex())) {
          c.metrics.drop(DropReason.UNKNOWN_SENDER);
          return;
        }
        transferLeader(m.getIndex());
        return;
      default:
        c.metrics.drop(DropReason.UNEXPECTED_FOR_ROLE);
    }
  }

  private void handleAppendResp(long from, Progress pr, Message m) {
    if (m.getReject()) {
      long hint = m.getRejectHint();
      if (m.getRejectTerm() > 0) {
        hint = c.log.findConflictByTerm(m.getRejectHint(), m.getRejectTerm())[0];
      }
      if (pr.maybeDecrTo(m.getIndex(), hint)) {
        if (pr.state == ProgressView.State.REPLICATE) {
          pr.becomeProbe();
        }
        sendAppends(from, pr, false);
      } else {
        c.metrics.drop(DropReason.STALE_RESPONSE);
      }
      return;
    }
    if (m.getIndex() > c.log.lastIndex()) {
      c.metrics.drop(DropReason.OUT_OF_RANGE);
      return;
    }
    onAck(from, pr, m.getIndex());
  }

  /** The follower's log matches ours up to {@code index}, durably. */
  private void onAck(long from, Progress pr, long index) {
    if (!pr.maybeUpdate(index)) {
      return; // a duplicate or reordered acknowledgement
    }
    switch (pr.state) {
      case PROBE:
        pr.becomeReplicate();
        break;
      case SNAPSHOT:
        if (pr.match + 1 >= c.log.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      default:
        pr.inflights.freeLe(index);
    }
    maybeCommit();
    if (c.role != Role.LEADER) {
      return; // the commit removed us from the group
    }
    sendAppends(from, pr, false);
    if (from == c.leadTransferee && pr.match == c.log.lastIndex()) {
      sendTimeoutNow(from);
    }
  }

  private void handleHeartbeatResp(long from, Progress pr, Message m) {
    if (m.getRound() > pr.ackedRound) {
      pr.ackedRound = m.getRound();
    }
    pr.probeSent = false;
    // The answer carries the follower's last durable entry. If our log has the same entry there, Log
    // Matching (§5.3) says the follower holds our log up to it, durably: as good as an append
    // acknowledgement, which may have been lost.
    if (matchesOurLog(m.getIndex(), m.getLogTerm()) && m.getIndex() > pr.match) {
      onAck(from, pr, m.getIndex());
      if (c.role != Role.LEADER) {
        return;
      }
    }
    if (pr.markRound != 0 && m.getRound() >= pr.markRound) {
      // Appends sent before the marked round should have reached the follower before it answered it
      // (or a later round); if its log does not hold them, durable or still being persisted (or holds
      // other entries there), they were lost: probe again. Appends merely in flight are left alone, so
      // heartbeats do not disturb pipelining. (An older follower sends no received entry: its durable
      // one was its last.)
      long received = m.getReceivedIndex() != 0 ? m.getReceivedIndex() : m.getIndex();
      long receivedTerm = m.getReceivedIndex() != 0 ? m.getReceivedTerm() : m.getLogTerm();
      boolean holdsAll = matchesOurLog(received, receivedTerm) && received >= pr.markNext - 1;
      pr.markRound = 0;
      if (!holdsAll && pr.state == ProgressView.State.REPLICATE) {
        pr.becomeProbe();
      }
    }
    if (pr.state == ProgressView.State.PROBE && pr.match < c.log.lastIndex()) {
      // Even with nothing new to send: an empty append at next - 1 makes a follower that lacks it
      // reject it, and the leader then backs up to what the follower really has.
      sendAppends(from, pr, true);
    }
    updateQuorumRound();
  }

  /** Whether our log holds the entry (index, term) a follower reported (term 0: it reported none). */
  private boolean matchesOurLog(long index, long term) {
    return term != 0 && c.log.matchTerm(index, term);
  }

  /** Raft §5.3 and §5.4.2; the rule itself is {@link RaftCore#canCommitAt(long)}. */
  boolean maybeCommit() {
    long mci =
        c.quorumIndex(
            v -> {
              if (v == c.id) {
                return c.log.stableLastIndex();
              }
              Progress pr = c.progress.get(v);
              return pr == null ? 0 : pr.match;
            });
    if (mci <= c.log.committed || !c.canCommitAt(mci)) {
      return false;
    }
    c.log.commitTo(mci);
    commitBroadcastPending = true;
    c.releaseReadsAwaitingCommit();
    if (!c.membership.isVoter(c.id) && c.log.committed >= c.latestConfIndex()) {
      stepDownRemoved();
    }
    return true;
  }

  /** The change removing this leader is committed (thesis §4.2.2): hand over, then step down. */
  private void stepDownRemoved() {
    long best = 0;
    long bestMatch = -1;
    for (Map.Entry<Long, Progress> e : c.progress.entrySet()) {
      if (c.membership.isVoter(e.getKey()) && e.getValue().match > bestMatch) {
        best = e.getKey();
        bestMatch = e.getValue().match;
      }
    }
    if (best != 0 && bestMatch == c.log.lastIndex()) {
      sendTimeoutNow(best);
    }
    c.becomeFollower(c.term, 0);
  }

  // ---------------------------------------------------------------- snapshots

  private void sendSnapshot(long to, Progress pr) {
    SnapshotMetadata meta = c.log.storage().snapshotMetadata();
    if (meta.getIndex() == 0) {
      return;
    }
    pr.becomeSnapshot(meta);
    c.metrics.snapshotSent();
    sendChunk(to, pr, 0);
  }

  /** One chunk at a time per follower; the driver fills in the bytes (see {@link Ready#messages()}). */
  private void sendChunk(long to, Progress pr, long offset) {
    SnapshotMetadata latest = c.log.storage().snapshotMetadata();
    if (latest.getIndex() != pr.snapshot.getIndex() || latest.getTerm() != pr.snapshot.getTerm()) {
      pr.becomeSnapshot(latest); // a newer snapshot replaced it: start that one over
      c.metrics.snapshotSent();
      offset = 0;
    }
    c.send(
        Message.newBuilder()
            .setType(MessageType.MSG_SNAPSHOT)
            .setTo(to)
            .setSnapshot(SnapshotChunk.newBuilder().setMetadata(pr.snapshot).setOffset(offset)));
    pr.snapshotSentOffset = offset;
    pr.snapshotTicks = 0;
  }

  private void handleSnapshotResp(long from, Progress pr, Message m) {
    SnapshotChunk ack = m.getSnapshot();
    if (pr.state != ProgressView.State.SNAPSHOT
        || !m.hasSnapshot()
        || ack.getMetadata().getIndex() != pr.snapshot.getIndex()
        || ack.getMetadata().getTerm() != pr.snapshot.getTerm()) {
      c.metrics.drop(DropReason.STALE_RESPONSE);
      return;
    }
    if (m.getReject()) {
      pr.snapshotAcked = ack.getOffset(); // resume where the follower is
      pr.snapshotLastAcked = false;
      sendChunk(from, pr, ack.getOffset());
    } else if (ack.getLast()) {
      pr.snapshotAcked = ack.getOffset();
      pr.snapshotLastAcked = true; // now wait for its append response after it installs
    } else if (ack.getOffset() > pr.snapshotSentOffset) {
      pr.snapshotAcked = ack.getOffset();
      sendChunk(from, pr, ack.getOffset());
    } else {
      c.metrics.drop(DropReason.STALE_RESPONSE);
    }
  }

  void reportSnapshotFailure(long to) {
    Progress pr = c.progress.get(to);
    if (pr != null && pr.state == ProgressView.State.SNAPSHOT) {
      pr.becomeProbe();
    }
  }

  void reportUnreachable(long to) {
    Progress pr = c.progress.get(to);
    if (pr != null && pr.state == ProgressView.State.REPLICATE) {
      pr.becomeProbe();
    }
  }

  // ---------------------------------------------------------------- leadership transfer

  /** Thesis §3.10: bring the target up to date, then tell it to campaign at once. */
  void transferLeader(long target) {
    if (target == c.id || target == c.leadTransferee) {
      return;
    }
    Progress pr = c.progress.get(target);
    if (pr == null || !c.membership.isVoter(target)) {
      throw new IllegalArgumentException("node " + target + " is not a voter of this group");
    }
    c.leadTransferee = target;
    c.electionElapsed = 0; // abandoned if not done within an election timeout
    if (pr.match == c.log.lastIndex()) {
      sendTimeoutNow(target);
    } else {
      sendAppends(target, pr, false);
    }
  }

  private void sendTimeoutNow(long to) {
    c.send(Message.newBuilder().setType(MessageType.MSG_TIMEOUT_NOW).setTo(to));
    c.leaseRevoked = true;
  }
}
