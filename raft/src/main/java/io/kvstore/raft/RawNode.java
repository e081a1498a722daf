package io.kvstore.raft;

import io.kvstore.raft.proto.ConfChange;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.SnapshotMetadata;

/**
 * One replica of one Raft group: a deterministic state machine driven by one thread (not thread-safe).
 * No threads, clocks, sockets or disk inside: the driver feeds it ticks, messages and proposals, and
 * does what each {@link Ready} says (persist, send, apply), then calls {@link #advance(Ready)}.
 *
 * <h2>Driver loop</h2>
 * <pre>{@code
 * loop:
 *   for each inbound message of this group: node.step(msg)
 *   every tick period:                      node.tick()
 *   proposals / reads from clients:         node.propose(data) / node.readIndex(ctx)
 *   if node.hasReady():
 *     Ready rd = node.ready();
 *     send rd.messages(); stage rd.snapshotChunks(); persist rd (snapshot, entries, hard state; sync if
 *     rd.mustSync()); send rd.persistedMessages(); apply rd.committedEntries(); serve rd.readStates()
 *     node.advance(rd);
 * }</pre>
 * See {@link Ready} for the exact contract of each step.
 *
 * <h2>Bootstrap and membership</h2>
 * A new group is created by giving each initial member a storage holding a snapshot with metadata
 * {@code (index 1, term 1, conf_state = the initial voters)} and hard state {@code (term 1, commit 1)};
 * the application's state at index 1 is empty. A node that joins later starts with an empty storage
 * (snapshot index 0, no membership) and receives a snapshot from the leader. Membership changes are
 * entries ({@link #proposeConfChange(ConfChange)}); each replica uses the latest membership in its log,
 * committed or not (thesis §4.1), so the application has nothing to do when one applies; the membership
 * as of an index is in {@link #snapshotMetadata(long)}.
 *
 * <h2>Snapshots</h2>
 * The application snapshots its state at an applied index {@code i}, stores it with
 * {@code snapshotMetadata(i)}, and compacts the log up to {@code i}. The leader streams a snapshot to a
 * follower that needs compacted entries, in chunks, one in flight at a time, resuming from the last
 * acknowledged offset after a loss; see {@link Ready#messages()} (leader) and
 * {@link Ready#snapshotChunks()} (follower).
 *
 * <h2>Bad input</h2>
 * A message for another node, from an unknown member, with a stale term, an index beyond the log or
 * malformed content is dropped or answered with a rejection and counted in {@link #metrics()}; it never
 * throws and never changes the log unsafely.
 */
public final class RawNode {
  private final RaftCore core;

  /**
   * Creates (or restarts) a replica from what {@code storage} holds.
   *
   * @throws IllegalStateException when the storage is inconsistent (commit beyond its last index)
   */
  public RawNode(Config config, LogStorage storage) {
    this(new RaftCore(config, storage));
  }

  /** For tests: a core with an altered rule (see RaftCore#canCommitAt). */
  RawNode(RaftCore core) {
    this.core = core;
  }

  /** For tests in this package: the core's internals. */
  RaftCore core() {
    return core;
  }

  public long id() {
    return core.id;
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  public void tick() {
    checkNotAwaitingAdvance();
    core.tick();
  }

  /** Feeds one inbound message. Never throws for bad input: it is dropped and counted instead. */
  public void step(Message message) {
    checkNotAwaitingAdvance();
    core.step(message);
  }

  /**
   * Appends {@code data} as a new entry (leader only). The entry is sent with the next Ready.
   *
   * @return where the entry was appended; see {@link LogPosition} for how to learn its fate
   * @throws NotLeaderException when this replica is not the leader (carries the known leader)
   * @throws ProposalRejectedException when a leadership transfer is in progress
   */
  public LogPosition propose(byte[] data) {
    checkNotAwaitingAdvance();
    return core.propose(data);
  }

  /**
   * Proposes a membership change: any number of learner changes and at most one voter added or removed
   * (thesis §4.1). To add a voter safely, add it as a learner first, wait until it caught up
   * ({@link #status()} progress), then promote it with {@code ADD_VOTER}. Removing the leader is allowed:
   * it keeps leading until the change commits, then hands leadership to the most up-to-date voter.
   *
   * @throws NotLeaderException when this replica is not the leader
   * @throws ProposalRejectedException CONF_CHANGE_PENDING while the previous change (or this term's first
   *     entry) is not committed, INVALID_CONF_CHANGE for an invalid change
   */
  public LogPosition proposeConfChange(ConfChange change) {
    checkNotAwaitingAdvance();
    return core.proposeConfChange(change);
  }

  /**
   * Asks for a linearizable read point (Raft §6.4); the same as {@code readIndex(context, false)}: never
   * answered from the lease, so it needs no clock assumption.
   *
   * @throws NotLeaderException on a follower that knows no leader
   */
  public void readIndex(byte[] context) {
    readIndex(context, false);
  }

  /**
   * Asks for a read point (Raft §6.4). The answer comes later as a {@link ReadState} with the same context
   * in a Ready, on this node: on a leader after a heartbeat round confirmed its leadership; on a follower
   * after it asked its leader (the leader then never uses its lease for it). With {@code allowLease} and
   * {@link Config#leaseRead()}, a leader holding a valid lease answers at once ({@link ReadState#lease()}
   * true): that read is linearizable only under the lease's bounded-drift assumption, which a paused
   * process breaks unless the driver calls {@link #expireLease()} on resume. Requests are dropped silently
   * when leadership changes before they are answered: the caller needs a timeout.
   *
   * @param allowLease true when the caller accepts a lease answer (e.g. a "lease" consistency level);
   *     false for reads that must be linearizable whatever the clocks do
   * @throws NotLeaderException on a follower that knows no leader
   */
  public void readIndex(byte[] context, boolean allowLease) {
    checkNotAwaitingAdvance();
    core.wake();
    core.readIndex(context, 0, allowLease);
  }

  /**
   * Voids this node's lease: no read is answered from the lease until a heartbeat round sent after this
   * call has been acknowledged by a quorum (reads take a ReadIndex round meanwhile). The lease is counted
   * in this node's ticks, so the driver must call this when it sees that real time ran on without ticks
   * for longer than the drift margin ({@link Config#maxClockDriftTicks()} ticks): the process was paused
   * (SIGSTOP, a GC or VM pause) and other nodes may have elected a new leader meanwhile. Call it before
   * any read of that round, then feed the missed ticks. Cheap and harmless on a follower or without
   * lease reads; allowed at any time, also between {@link #ready()} and {@link #advance(Ready)}.
   */
  public void expireLease() {
    core.reads.expireLease();
  }

  /**
   * Hands leadership to {@code target}, a voter (thesis §3.10): the leader brings it up to date, then
   * sends it MSG_TIMEOUT_NOW so it campaigns at once. Proposals are refused meanwhile; the transfer is
   * abandoned after an election timeout. On a follower the request is forwarded to the leader.
   *
   * @throws NotLeaderException on a follower that knows no leader
   * @throws IllegalArgumentException when this leader does not know {@code target} as a voter
   */
  public void transferLeader(long target) {
    checkNotAwaitingAdvance();
    core.wake();
    if (core.role == Role.LEADER) {
      core.replication.transferLeader(target);
    } else if (core.leader == 0) {
      throw new NotLeaderException(0);
    } else {
      core.send(
          Message.newBuilder()
              .setType(io.kvstore.raft.proto.MessageType.MSG_TRANSFER_LEADER)
              .setTo(core.leader)
              .setIndex(target));
    }
  }

  /** Starts an election now (with a pre-vote first when configured). No effect on a leader. */
  public void campaign() {
    checkNotAwaitingAdvance();
    core.wake();
    if (core.role != Role.LEADER) {
      core.campaign(
          core.cfg.preVote() ? RaftCore.CampaignType.PRE_VOTE : RaftCore.CampaignType.ELECTION);
    }
  }

  /**
   * For the next {@code ticks} ticks this replica's election timer starts no campaign, unless it hears of
   * a leader first (which ends the deferral). It still votes, and {@link #campaign()} still works. For a
   * group just created: the replica chosen to lead it campaigns at once, and the others defer, so the
   * chosen one wins the first election even when its node starts a little after theirs. Costs liveness
   * only (an election comes later), never safety.
   */
  public void deferCampaign(int ticks) {
    checkNotAwaitingAdvance();
    core.campaignDeferral = Math.max(0, ticks);
  }

  /** Wakes a quiet group (see {@link Config#quiesce()}). */
  public void wake() {
    checkNotAwaitingAdvance();
    core.wake();
  }

  /**
   * The driver could not reach {@code node} (its connection failed, or its node-level failure detector
   * says it is down). A leader stops pipelining to it; a quiet follower whose leader it is wakes up and
   * will hold an election if the leader stays silent.
   */
  public void reportUnreachable(long node) {
    checkNotAwaitingAdvance();
    if (core.role == Role.LEADER) {
      core.replication.reportUnreachable(node);
    } else if (core.quiesced && core.leader == node) {
      core.wake();
    }
  }

  /**
   * The driver knows that the process of {@code node} is gone, not merely slow or cut off: e.g. nothing
   * listens on its address any more (connection refused), which a paused or partitioned process never
   * causes. A follower whose leader it is forgets that leader and campaigns within electionTick/2 ticks
   * instead of a full election timeout, so a crashed leader is replaced sooner. Safe whatever the truth:
   * an election is always safe in Raft, and a leader lease is only defended for leaders that are alive
   * (a wrong report about a live leader costs an election, and a lease answer of that leader would be at
   * risk: hence "process gone", never "slow"). No effect on leaders, candidates, or followers of others.
   */
  public void reportPeerDown(long node) {
    checkNotAwaitingAdvance();
    core.peerDown(node);
  }

  /** The driver could not send a snapshot chunk to {@code node} (e.g. the snapshot is gone). */
  public void reportSnapshotFailure(long node) {
    checkNotAwaitingAdvance();
    if (core.role == Role.LEADER) {
      core.replication.reportSnapshotFailure(node);
    }
  }

  /** Whether {@link #ready()} would return anything to do. */
  public boolean hasReady() {
    return core.awaitingAdvance() ? false : core.hasReady();
  }

  /**
   * The next batch of work. Call only when {@link #hasReady()}; then call nothing else on this node
   * until {@link #advance(Ready)}.
   */
  public Ready ready() {
    checkNotAwaitingAdvance();
    return core.ready();
  }

  /** Tells the core the driver persisted, sent and applied {@code ready} as its contract says. */
  public void advance(Ready ready) {
    core.advance(ready);
  }

  /**
   * The metadata to store with a snapshot of the application's state at {@code index}: its term and the
   * membership as of it.
   *
   * @throws IllegalArgumentException unless {@code firstIndex - 1 <= index <= applied}
   */
  public SnapshotMetadata snapshotMetadata(long index) {
    return core.snapshotMetadata(index);
  }

  /**
   * The index of the latest membership change in this replica's log (0 when none since the snapshot it
   * started from). The change is committed once {@code status().commit()} reaches it; until then a leader
   * refuses the next one.
   */
  public long latestConfIndex() {
    return core.latestConfIndex();
  }

  /** A copy of this replica's state. */
  public Status status() {
    return core.status();
  }

  /** This group's counters (live object; read from the driving thread). */
  public RaftMetrics metrics() {
    return core.metrics;
  }

  private void checkNotAwaitingAdvance() {
    if (core.awaitingAdvance()) {
      throw new IllegalStateException("call advance() for the outstanding Ready first");
    }
  }
}
