package io.kvstore.server.worker;

import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.raft.Config;
import io.kvstore.raft.LogPosition;
import io.kvstore.raft.ProposalRejectedException;
import io.kvstore.raft.RawNode;
import io.kvstore.raft.Ready;
import io.kvstore.raft.Role;
import io.kvstore.raft.SoftState;
import io.kvstore.raft.Status;
import io.kvstore.raft.proto.ConfChange;
import io.kvstore.raft.proto.ConfChangeSingle;
import io.kvstore.raft.proto.ConfChangeType;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.server.proto.ChangeReplicasRequest;
import io.kvstore.server.proto.ShardMembership;
import io.kvstore.raft.proto.EntryType;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotMetadata;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.server.lease.LeaseKeeper;
import io.kvstore.server.watch.ChangeLog;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.LeaderHint;
import io.kvstore.server.replica.NotLeaderException;
import io.kvstore.server.replica.ReadView;
import io.kvstore.server.replica.ResultUnknownException;
import io.kvstore.server.replica.ShardUnavailableException;
import io.kvstore.server.statemachine.EntryCodec;
import io.kvstore.server.statemachine.KvStateMachine;
import io.kvstore.server.statemachine.Outcome;
import io.kvstore.server.statemachine.SessionTable;
import io.kvstore.storage.GroupStorage;
import io.kvstore.storage.IncomingSnapshot;
import io.kvstore.storage.KeyValue;
import io.kvstore.storage.StoreBatch;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's replica of one shard: its Raft core, its storage view, its state machine, and the writes
 * and reads waiting on it. The {@link RaftWorker} that owns it calls the loop methods below, in the order
 * a {@link Ready} requires, from its one thread; the volatile getters (role, leader, status, ...) may be
 * read from any thread.
 *
 * <p>Invariants: a {@link Proposal} in {@code inflight} was appended at ({@code term}, {@code index}); it
 * completes when the entry at {@code index} is applied, with the state machine's result if that entry
 * has its term, else with {@link ResultUnknownException} (a new leader overwrote it, Raft §5.3), and also
 * with that exception when this replica stops leading (the entry may still commit later). A read
 * completes only once {@code applied >= } its read index (Raft §6.4).
 */
public final class GroupReplica {
  private static final Logger log = LoggerFactory.getLogger(GroupReplica.class);

  private final long shardId;
  private final WorkerContext ctx;
  private final GroupStorage storage;
  private final RawNode raw;
  private final KvStateMachine sm;
  private final LeaseKeeper leaseKeeper;
  private final ChangeLog changeLog;
  /** Readers share it; a snapshot install takes it alone (the store shows a half-replaced shard meanwhile). */
  private final ReentrantReadWriteLock installLock = new ReentrantReadWriteLock();

  // ---- read from any thread
  final AtomicInteger outstanding = new AtomicInteger();
  private volatile long leaderId;
  private volatile long term;
  private volatile Role role = Role.FOLLOWER;
  private volatile boolean learner;
  private volatile long applied;
  private volatile ShardStatus status;
  private volatile Throwable failure;

  // ---- loop thread only
  private final TreeMap<Long, Proposal> inflight = new TreeMap<>();
  private final List<Runnable> completions = new ArrayList<>();
  private final PendingReads reads;
  private final SnapshotTransfer snapshots;
  /** Successful results of this round's applied entries: released only once the apply batch is written. */
  private final List<Proposal> results = new ArrayList<>();
  private long ticks;
  private final EagerCampaign eagerCampaign = new EagerCampaign();
  private Ready ready;
  private final LogCompaction compaction;
  private boolean changed;
  private long readyApplied;

  /** An entry that cannot be decoded: its group stops before anything of it is written. */
  static final class UndecodableEntryException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    UndecodableEntryException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Opens the replica from the node's store (the group must exist there: bootstrapped or restarted).
   */
  public GroupReplica(long shardId, WorkerContext ctx) {
    this.shardId = shardId;
    this.ctx = ctx;
    this.storage = ctx.store().group(shardId);
    this.snapshots = new SnapshotTransfer(shardId, ctx);
    this.reads = new PendingReads(shardId, ctx.options().readTimeoutTicks(), ctx.options().heartbeatTicks(),
        completions);
    SessionTable sessions = new SessionTable(ctx.options().sessions());
    List<Map.Entry<byte[], byte[]>> records = systemRecords();
    sessions.load(records);
    this.sm = new KvStateMachine(shardId, key -> ShardReadView.read(ctx.store(), ctx.cache(), shardId, key),
        sessions);
    sm.loadCoordination(records);
    this.leaseKeeper = new LeaseKeeper(sm.leases(), System::nanoTime);
    this.changeLog = new ChangeLog(ChangeLog.DEFAULT_CAPACITY, storage.appliedIndex());
    this.applied = storage.appliedIndex();
    this.compaction = new LogCompaction(shardId, ctx, snapshots, storage.firstIndex() - 1, applied);
    Config config = Config.builder(ctx.nodeId())
        .electionTick(ctx.options().electionTicks())
        .heartbeatTick(ctx.options().heartbeatTicks())
        .applied(applied)
        .checkQuorum(true)
        .preVote(true)
        .leaseRead(ctx.options().leaseReads())
        .quiesce(ctx.options().quiesce())
        .maxClockDriftTicks(ctx.options().maxClockDriftTicks())
        // Distinct seeds per group, so the groups of one node do not time out in lockstep.
        .randomSeed(ctx.nodeId() * 0x9E3779B97F4A7C15L ^ shardId * 0xC2B2AE3D27D4EB4FL ^ System.nanoTime())
        .build();
    this.raw = new RawNode(config, storage);
    refreshStatus();
  }

  public long shardId() {
    return shardId;
  }

  // ---------------------------------------------------------------- any thread

  public boolean isLeader() {
    return role == Role.LEADER && failure == null;
  }

  public long term() {
    return term;
  }

  public LeaderHint leaderHint() {
    long l = leaderId;
    return l == 0 ? LeaderHint.UNKNOWN : new LeaderHint(l, term);
  }

  public ShardStatus status() {
    return status;
  }

  public long appliedIndex() {
    return applied;
  }

  public Throwable failure() {
    return failure;
  }

  /** The shard's leases and, while this replica leads, their deadlines (any thread). */
  public LeaseKeeper leaseKeeper() {
    return leaseKeeper;
  }

  /** The shard's recent changes as this replica applied them, for watches (any thread). */
  public ChangeLog changeLog() {
    return changeLog;
  }

  long logEntries() {
    ShardStatus s = status;
    return s == null ? 0 : Math.max(0, s.getLastIndex() - s.getFirstIndex() + 1);
  }

  /** Takes one of the group's {@code maxPendingProposals} slots; false when they are all taken. */
  public boolean tryReserve() {
    if (outstanding.incrementAndGet() > ctx.options().maxPendingProposals()) {
      outstanding.decrementAndGet();
      ctx.metrics().proposals.labelValues("queue_full").inc();
      return false;
    }
    return true;
  }

  /** Outstanding writes (queued or proposed, not yet applied) of this replica. */
  public int outstandingWrites() {
    return outstanding.get();
  }

  /** A view for a STALE read: what this replica has applied, at once. */
  public ReadView staleView() {
    return new ShardReadView(ctx.store(), ctx.cache(), shardId, applied, term, installLock.readLock());
  }

  // ---------------------------------------------------------------- loop thread: inputs

  void step(Message m) {
    if (failure == null) {
      raw.step(m);
    }
  }

  void propose(Proposal p) {
    if (failure != null) {
      finish(p, new ShardUnavailableException("shard " + shardId + " is stopped on this node: " + failure));
      return;
    }
    try {
      LogPosition pos = raw.propose(p.data);
      p.term = pos.term();
      p.index = pos.index();
      inflight.put(p.index, p);
    } catch (io.kvstore.raft.NotLeaderException e) {
      ctx.metrics().proposals.labelValues("not_leader").inc();
      finish(p, new NotLeaderException(shardId, leaderHint()));
    } catch (ProposalRejectedException e) {
      ctx.metrics().proposals.labelValues("unavailable").inc();
      finish(p, new ShardUnavailableException("shard " + shardId + " refused the write for now ("
          + e.getMessage() + "); retry shortly"));
    }
  }

  void read(ReadRequest r) {
    if (failure != null) {
      fail(r, new ShardUnavailableException("shard " + shardId + " is stopped on this node: " + failure));
      return;
    }
    if (r.consistency() == Consistency.CONSISTENCY_LEASE && role != Role.LEADER) {
      // A lease is the leader's alone; followers serve LINEARIZABLE (ask the leader) or STALE.
      fail(r, new NotLeaderException(shardId, leaderHint()));
      return;
    }
    reads.add(r);
  }

  /** Asks for the read index of this round's reads (see {@link PendingReads#flush}). */
  void flushReads() {
    reads.flush(raw, ticks, () -> new NotLeaderException(shardId, leaderHint()));
  }

  /**
   * The worker saw real time run on without ticks for longer than the lease's drift margin (the process
   * was paused, or starved): void the lease (no lease answer until a fresh quorum round). With
   * {@code answersSuspect}, a lease decision may already have been taken during the gap: this group's
   * next lease-answered reads are asked again instead of served (they then take a ReadIndex round).
   */
  void expireLease(boolean answersSuspect) {
    if (failure != null) {
      return;
    }
    raw.expireLease();
    reads.expireLease(answersSuspect);
  }

  /**
   * The node is closing its port: peers that find it refusing connections forget this replica's
   * leadership early ({@code RawNode.reportPeerDown}), so its lease may no longer be relied on. Voids it
   * and answers every later LEASE read through a ReadIndex round, which needs a live quorum. Loop thread
   * only (through {@link RaftWorker#execute}).
   */
  public void endLeaseReads() {
    reads.endLeaseReads();
    expireLease(true);
  }

  /**
   * The node-level failure detector heard nothing from {@code peer} for a while
   * ({@code transport.PeerSilence}): if this replica is a quiet follower of a leader on that node, it
   * wakes and elects a new leader should the leader stay silent for an election timeout. A leader stops
   * pipelining to it. Decides nothing by itself, so a wrong report costs nothing. Loop thread only.
   */
  public void peerSilent(long peer) {
    if (failure == null && ready == null) {
      raw.reportUnreachable(peer);
    }
  }

  /**
   * The transport found {@code peer}'s process gone (its port refuses connections): if it led this
   * shard, elect a new leader now rather than after a full election timeout. Loop thread only (through
   * {@link RaftWorker#execute}).
   */
  public void peerDown(long peer) {
    if (failure == null && ready == null) {
      raw.reportPeerDown(peer);
    }
  }

  void tick() {
    if (failure != null) {
      return;
    }
    ticks++;
    raw.tick();
    eagerCampaign.onTick(raw, leaderId, role);
    for (long due : leaseKeeper.onTick(role == Role.LEADER ? term : 0)) {
      proposeExpiry(due);
    }
    reads.onTick(raw, ticks);
  }

  /**
   * The leader decided a lease's deadline passed: its expiry goes through the log like any write
   * (lease.proto, "Expiry"), so every replica deletes the same keys at the same index.
   */
  private void proposeExpiry(long leaseId) {
    CompletableFuture<CommandResult> f = new CompletableFuture<>();
    f.whenComplete((r, e) -> leaseKeeper.expiryFinished(leaseId));
    outstanding.incrementAndGet();
    propose(new Proposal(EntryCodec.encode(new Command.LeaseRevoke(
        LeaseRevokeRequest.newBuilder().setId(leaseId).build()), System.currentTimeMillis()), f));
  }

  // ---------------------------------------------------------------- loop thread: one Ready

  boolean awaitingAdvance() {
    return ready != null;
  }

  /** Whether the core has work for another round now (e.g. entries that became applicable in advance). */
  boolean hasReady() {
    return failure == null && ready == null && raw.hasReady();
  }

  boolean collectReady() {
    if (failure != null || !raw.hasReady()) {
      return false;
    }
    ready = raw.ready();
    return true;
  }

  /** Step 1: messages that may leave now; MSG_SNAPSHOT messages get their chunk of data here. */
  void sendMessages(Outbox out) {
    for (Message m : ready.messages()) {
      if (m.getType() == MessageType.MSG_SNAPSHOT) {
        m = snapshots.withData(m);
        if (m == null) {
          continue;
        }
      }
      out.add(m.getTo(), shardId, m);
    }
  }

  /** Step 2: stage snapshot chunks this follower accepted. */
  void stageChunks() {
    snapshots.stage(ready.snapshotChunks());
  }

  /**
   * Step 3: install a received snapshot (durable on its own), then add the Ready's log entries, hard
   * state and any pending log compaction to the round's batch.
   *
   * @return whether the batch must be synced for this group
   */
  boolean persist(StoreBatch batch) {
    boolean sync = ready.mustSync();
    if (ready.snapshot() != null) {
      installSnapshot(ready.snapshot());
    }
    if (!ready.entries().isEmpty()) {
      batch.append(shardId, ready.entries());
    }
    HardState hs = ready.hardState();
    // Only a new term or vote is stored: the commit index moves every round and is recovered without
    // being stored (the applied index stands in for it on restart, see Ready#hardState), which saves a
    // record per group per round (each a memtable insert and WAL bytes on every replica).
    if (hs != null) {
      HardState stored = storage.hardState();
      if (hs.getTerm() != stored.getTerm() || hs.getVote() != stored.getVote()) {
        batch.setHardState(shardId, hs);
      }
    }
    if (ready.snapshot() == null && compaction.addTo(batch, raw, role)) {
      sync = true;
    }
    return sync;
  }

  private void installSnapshot(SnapshotMetadata snap) {
    IncomingSnapshot staged = snapshots.staged(snap);
    ctx.cache().beginWrite(shardId);
    installLock.writeLock().lock();
    try {
      ctx.store().installSnapshot(staged);
      ctx.cache().invalidateShard(shardId);
    } finally {
      installLock.writeLock().unlock();
      ctx.cache().endWrite(shardId, Map.of());
    }
    snapshots.installed();
    sm.discardChanges();
    List<Map.Entry<byte[], byte[]>> records = systemRecords();
    sm.sessions().load(records);
    sm.loadCoordination(records);
    applied = snap.getIndex();
    changeLog.reset(applied);
    compaction.installed(snap.getIndex());
    ctx.metrics().snapshotsInstalled.inc();
    // Whatever this replica proposed up to the snapshot is decided elsewhere; we cannot tell how.
    while (!inflight.isEmpty() && inflight.firstKey() <= snap.getIndex()) {
      finish(inflight.pollFirstEntry().getValue(), unknown("a snapshot replaced the log"));
    }
    log.info("shard {}: installed snapshot at index {} term {}", shardId, snap.getIndex(), snap.getTerm());
  }

  /** Step 4: messages that had to wait for the synced write. */
  void sendPersistedMessages(Outbox out) {
    for (Message m : ready.persistedMessages()) {
      out.add(m.getTo(), shardId, m);
    }
  }

  /**
   * Apply the committed entries into the round's apply batch (with the applied index). They are durable
   * here already ({@link Ready#committedEntries()}), so this may run before {@link #persist}. Throws
   * before adding anything when an entry cannot be decoded.
   *
   * @return whether user data changed (the cache must be told around the batch write)
   */
  boolean apply(StoreBatch batch) {
    List<Entry> entries = ready.committedEntries();
    changed = false;
    if (entries.isEmpty()) {
      return false;
    }
    // Decode everything first: an entry we cannot read stops this group before any of its writes
    // reach the shared batch (never apply from a log we cannot read).
    List<EntryCodec.Decoded> commands = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      boolean command = e.getType() == EntryType.ENTRY_NORMAL && !e.getData().isEmpty();
      try {
        commands.add(command ? EntryCodec.decode(e.getData().toByteArray()) : null);
      } catch (IllegalStateException undecodable) {
        throw new UndecodableEntryException("shard " + shardId + ", entry " + e.getIndex() + ": "
            + undecodable.getMessage(), undecodable);
      }
    }
    StoreShardWriter writer = new StoreShardWriter(batch, shardId);
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      EntryCodec.Decoded d = commands.get(i);
      Outcome outcome = d == null ? null : sm.apply(e.getIndex(), d.command(), d.proposedAtMillis(), writer);
      settle(e, outcome);
    }
    compaction.applied(entries);
    Entry last = entries.get(entries.size() - 1);
    batch.setApplied(shardId, last.getIndex(), last.getTerm());
    readyApplied = last.getIndex();
    changed = true;
    return true;
  }

  /** Matches an applied entry with the proposal waiting for it (by index, then term). */
  private void settle(Entry e, Outcome outcome) {
    while (!inflight.isEmpty() && inflight.firstKey() < e.getIndex()) {
      finish(inflight.pollFirstEntry().getValue(), unknown("its log entry was lost"));
    }
    Proposal p = inflight.get(e.getIndex());
    if (p == null) {
      return;
    }
    inflight.remove(e.getIndex());
    if (p.term != e.getTerm()) {
      ctx.metrics().proposals.labelValues("result_unknown").inc();
      finish(p, unknown("a new leader overwrote its log entry"));
    } else if (outcome instanceof Outcome.Applied a) {
      ctx.metrics().proposals.labelValues("ok").inc();
      ctx.metrics().commitLatency.observe((System.nanoTime() - p.createdNanos) / 1e9);
      p.result = a.result();
      results.add(p);
    } else if (outcome instanceof Outcome.Refused r) {
      ctx.metrics().proposals.labelValues("refused").inc();
      finish(p, r.error());
    } else {
      finish(p, unknown("its entry applied as a no-op"));
    }
  }

  /**
   * After the apply batch was written: the cache learns the new values, callers their results. The
   * results are left in this group's completions for the worker to hand off with every other group's of
   * the round ({@link #drainCompletionsTo}).
   */
  void applied() {
    if (changed) {
      applied = readyApplied;
      ctx.cache().endWrite(shardId, sm.takeChanges());
      changeLog.append(applied, sm.takeEvents());
      List<KvStateMachine.LockGrant> grants = sm.takeLockGrants();
      if (!grants.isEmpty()) {
        completions.add(() -> ctx.lockWaiters().granted(shardId, grants));
      }
    }
    for (Proposal p : results) {
      outstanding.decrementAndGet();
      completions.add(() -> p.future.complete(p.result));
    }
    results.clear();
    reads.answered(ready.readStates());
    serveReads();
  }

  boolean dataChanged() {
    return changed;
  }

  /** Step 6: hand the Ready back, then react to what changed (leadership, compaction, snapshots). */
  void advance() {
    Ready rd = ready;
    ready = null;
    raw.advance(rd);
    SoftState soft = rd.softState();
    if (soft != null) {
      boolean wasLeader = role == Role.LEADER;
      boolean leaderChanged = soft.leader() != leaderId;
      leaderId = soft.leader();
      term = soft.term();
      role = soft.role();
      if (wasLeader && soft.role() != Role.LEADER) {
        while (!inflight.isEmpty()) {
          finish(inflight.pollFirstEntry().getValue(), unknown("this replica stopped leading"));
        }
      }
      if (leaderChanged) {
        if (soft.leader() == ctx.nodeId()) {
          log.info("shard {}: this node leads, term {}", shardId, soft.term());
        } else if (wasLeader) {
          log.info("shard {}: this node stopped leading; leader now {} (term {})", shardId,
              soft.leader() == 0 ? "unknown" : Long.toString(soft.leader()), soft.term());
        }
        reads.leadershipChanged();
      }
    }
    snapshots.reportFailures(raw);
    compaction.afterAdvance(raw, applied);
    refreshStatus();
    flushCompletions();
  }

  void refreshStatus() {
    Status s = raw.status();
    term = s.term();
    leaderId = s.leader();
    role = s.role();
    learner = s.membership().getLearnersList().contains(ctx.nodeId());
    status = ShardStatus.newBuilder()
        .setShardId(shardId)
        .setRole(learner ? RaftRole.RAFT_ROLE_LEARNER : switch (s.role()) {
          case LEADER -> RaftRole.RAFT_ROLE_LEADER;
          case CANDIDATE -> RaftRole.RAFT_ROLE_CANDIDATE;
          case PRE_CANDIDATE -> RaftRole.RAFT_ROLE_PRE_CANDIDATE;
          case FOLLOWER -> RaftRole.RAFT_ROLE_FOLLOWER;
        })
        .setTerm(s.term())
        .setLeaderNodeId(s.leader())
        .setCommitIndex(s.commit())
        .setAppliedIndex(applied)
        .setLastIndex(s.lastIndex())
        .setFirstIndex(storage.firstIndex())
        .setSnapshotIndex(storage.firstIndex() - 1)
        .setQuiet(s.quiesced())
        .build();
  }

  /**
   * The most up-to-date other voter (by match index) among those the leader heard from recently, for a
   * leadership transfer; 0 when none. A voter that is down may have the highest match (it had everything
   * when it died): transferring to it would only fail after an election timeout, again and again.
   */
  long bestTransferTarget() {
    Status s = raw.status();
    long best = 0;
    long bestMatch = -1;
    for (var e : s.progress().entrySet()) {
      var p = e.getValue();
      if (e.getKey() != ctx.nodeId() && !p.learner() && p.recentActive() && p.match() > bestMatch) {
        best = e.getKey();
        bestMatch = p.match();
      }
    }
    return best;
  }

  /**
   * This replica is the preferred leader of a group created just now: it campaigns early for the next
   * {@code ticks} ticks ({@link EagerCampaign}). Before the worker starts, or on its loop thread.
   */
  public void campaignEagerly(int ticks) {
    eagerCampaign.arm(ticks);
  }

  /**
   * This replica is not the preferred leader of a group created just now: for the next {@code ticks}
   * ticks its election timer starts no campaign unless it hears of a leader ({@code RawNode.deferCampaign}),
   * so the preferred replica wins even when its node starts a little later than this one (the first node
   * of three started together otherwise took the shards of the last). Before the worker starts.
   */
  public void deferCampaign(int ticks) {
    raw.deferCampaign(ticks);
  }

  /** Starts an election for this shard now (operators, tests); no effect on a leader. Loop thread only. */
  public void campaign() {
    if (failure == null && ready == null) {
      raw.campaign();
    }
  }

  /** Tells a leading replica that messages to these peers were dropped by the transport this round. */
  void reportUnreachable(Set<Long> peers) {
    if (failure == null && role == Role.LEADER && ready == null) {
      for (long peer : peers) {
        raw.reportUnreachable(peer);
      }
    }
  }

  /**
   * If this replica leads, hands leadership to the most up-to-date other voter (thesis §3.10). Call on
   * the loop thread (through {@link RaftWorker#execute}).
   */
  public void handOffLeadership() {
    long target = role == Role.LEADER && failure == null ? bestTransferTarget() : 0;
    if (target != 0) {
      raw.transferLeader(target);
    }
  }

  // ---------------------------------------------------------------- membership changes (elastic membership)

  /** Loop thread: the shard's membership as this replica sees it ({@link MembershipSteps#view}). */
  ShardMembership membership(String deferred) {
    return MembershipSteps.view(raw, deferred);
  }

  /**
   * Loop thread: one step of a replica move, proposed only when this replica leads and the step is not in
   * effect already (so a driver may repeat it after a crash). Single-voter steps only (Raft thesis §4.1):
   * a learner is added, then promoted; a replica is removed on its own.
   *
   * @throws NotLeaderException when this replica does not lead the shard
   */
  public ShardMembership changeMembership(ChangeReplicasRequest.Action action, long node) {
    if (failure != null) {
      throw new ShardUnavailableException("shard " + shardId + " is stopped on this node: " + failure);
    }
    if (role != Role.LEADER) {
      throw new NotLeaderException(shardId, leaderHint());
    }
    ConfState cs = raw.status().membership();
    if (action == ChangeReplicasRequest.Action.ACTION_TRANSFER_LEADER) {
      if (!cs.getVotersList().contains(node)) {
        return membership("node " + node + " is not a voter of shard " + shardId);
      }
      if (node != ctx.nodeId()) {
        raw.transferLeader(node);
      }
      return membership("");
    }
    ConfChangeType type = MembershipSteps.changeFor(action, cs, node);
    if (type == null) {
      return membership("");
    }
    try {
      raw.proposeConfChange(ConfChange.newBuilder()
          .addChanges(ConfChangeSingle.newBuilder().setType(type).setNodeId(node))
          .build());
      return membership("");
    } catch (ProposalRejectedException e) {
      return membership(e.getMessage());
    }
  }

  /**
   * Stops this replica for good because it was removed from the shard (not a failure: nothing is logged
   * as an error). Waiting writes end "unknown", reads fail; later mail is ignored.
   */
  public void retire() {
    if (failure != null) {
      return;
    }
    ShardUnavailableException moved = new ShardUnavailableException(
        "shard " + shardId + " moved off node " + ctx.nodeId() + "; ask another replica");
    failure = moved;
    failAll(moved);
  }

  // ---------------------------------------------------------------- failure and shutdown

  /** Stops serving this group (an unreadable log, a failed install): never apply from a log we cannot read. */
  void fail(Throwable cause) {
    if (failure != null) {
      return;
    }
    failure = cause;
    log.error("shard {}: replica stopped: {}", shardId, cause.toString(), cause);
    failAll(new ShardUnavailableException("shard " + shardId + " is stopped on this node: " + cause));
  }

  /** Fails everything waiting (at shutdown or failure). Proposed writes end "unknown": they may commit. */
  void failAll(RuntimeException error) {
    if (!results.isEmpty()) {
      // Applied into a batch that was never written: the outcome is unknown to us.
      results.forEach(p -> finish(p, unknown(error.getMessage())));
      results.clear();
      sm.discardChanges();
    }
    while (!inflight.isEmpty()) {
      finish(inflight.pollFirstEntry().getValue(), unknown(error.getMessage()));
    }
    reads.failAll(error);
    flushCompletions();
  }

  public void close() {
    snapshots.close();
    compaction.close();
  }

  // ---------------------------------------------------------------- helpers

  private void serveReads() {
    List<ReadRequest> servable = reads.servable(applied);
    if (servable.isEmpty()) {
      return;
    }
    ReadView view = new ShardReadView(ctx.store(), ctx.cache(), shardId, applied, term, installLock.readLock());
    for (ReadRequest r : servable) {
      ctx.metrics().readsServed.labelValues(r.consistency().name()).inc();
      completions.add(() -> r.future().complete(view));
    }
  }

  private void finish(Proposal p, RuntimeException error) {
    outstanding.decrementAndGet();
    completions.add(() -> p.future.completeExceptionally(error));
  }

  private void fail(ReadRequest r, RuntimeException error) {
    completions.add(() -> r.future().completeExceptionally(error));
  }

  private ResultUnknownException unknown(String why) {
    return new ResultUnknownException("shard " + shardId + ": the write may or may not have been applied ("
        + why + "); retry with the same client id and sequence to have it applied at most once");
  }

  void flushCompletions() {
    if (completions.isEmpty()) {
      return;
    }
    List<Runnable> done = new ArrayList<>(completions);
    completions.clear();
    ctx.callbacks().execute(() -> done.forEach(Runnable::run));
  }

  /** Moves this group's pending completions to {@code into} (the worker runs a round's together). */
  void drainCompletionsTo(List<Runnable> into) {
    into.addAll(completions);
    completions.clear();
  }

  private List<Map.Entry<byte[], byte[]>> systemRecords() {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    for (KeyValue kv : ctx.store().scanSystem(shardId, new byte[0], Integer.MAX_VALUE)) {
      out.add(new AbstractMap.SimpleEntry<>(kv.key(), kv.value()));
    }
    return out;
  }
}
