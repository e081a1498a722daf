package io.kvstore.raft;

import com.google.protobuf.ByteString;
import io.kvstore.raft.ProposalRejectedException.Reason;
import io.kvstore.raft.proto.ConfChange;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.EntryType;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The Raft state machine of one replica: elections, the log, membership, reads. Deterministic: its only
 * inputs are ticks, messages and proposals (and the seeded random election timeouts); its outputs are
 * collected into a {@link Ready}. No I/O, no clock, no threads. Leader-side replication lives in
 * {@link Replication}. Public entry points are on {@link RawNode}.
 */
class RaftCore {
  final long id;
  final Config cfg;
  final RaftLog log;
  final RaftMetrics metrics = new RaftMetrics();
  private final SplittableRandom random;

  long term;
  long vote;
  long leader;
  Role role = Role.FOLLOWER;

  /** The membership in effect: the latest one in the log, committed or not (thesis §4.1). */
  Membership membership;
  private final MembershipLog membershipLog;

  /** Leader only: every other member's progress. */
  final Map<Long, Progress> progress = new TreeMap<>();
  private Map<Long, Boolean> votes;

  int electionElapsed;
  int heartbeatElapsed;
  private int randomizedElectionTimeout;
  /** The logical clock: ticks since this core was created. */
  long tickCount;
  private int ticksSinceStart;

  long leadTransferee;
  /** A MSG_TIMEOUT_NOW left this term: another node may win an election at any moment, so no lease. */
  boolean leaseRevoked;
  /** Index of the latest conf-change entry (leader: no new change until it is committed). */
  long pendingConfIndex;
  boolean quiesced;
  /** Ticks left in which the election timer starts no campaign ({@link RawNode#deferCampaign}). */
  int campaignDeferral;

  final ReadTracker reads = new ReadTracker();
  private List<ReadTracker.PendingRead> readsAwaitingCommit;
  boolean readRoundPending;
  final Replication replication;
  private final Follower follower;

  // Output, drained by ready().
  List<Message> msgs = new ArrayList<>(0);
  List<Message> msgsAfterPersist = new ArrayList<>(0);
  List<ReadState> readStates = new ArrayList<>(0);
  List<SnapshotChunk> chunksToStage = new ArrayList<>(0);

  private HardState prevHardState;
  private SoftState prevSoftState;
  private long readyNumber;
  private Ready pendingReady;

  RaftCore(Config cfg, LogStorage storage) {
    this.id = cfg.id();
    this.cfg = cfg;
    this.random = new SplittableRandom(cfg.randomSeed());
    InitialState init = storage.initialState();
    HardState hs = init.hardState() == null ? HardState.getDefaultInstance() : init.hardState();
    SnapshotMetadata snap = storage.snapshotMetadata();
    long applied = Math.max(cfg.applied(), snap.getIndex());
    // Only committed entries are applied, so the applied index is a commit index too: a driver may store
    // the commit index lazily (Ready#hardState) and it restarts from whichever of the two is higher.
    long commit = Math.max(hs.getCommit(), applied);
    if (commit > storage.lastIndex()) {
      throw new IllegalStateException(
          "storage is inconsistent: commit " + commit + " > last index " + storage.lastIndex());
    }
    this.log = new RaftLog(storage, commit, applied);
    ConfState base =
        snap.getIndex() > 0 || init.confState() == null ? snap.getConfState() : init.confState();
    this.membershipLog = new MembershipLog(base, metrics);
    membershipLog.replay(storage);
    this.membership = membershipLog.current();
    this.replication = new Replication(this);
    this.follower = new Follower(this);
    this.term = hs.getTerm();
    this.vote = hs.getVote();
    this.prevHardState = HardState.newBuilder().setTerm(term).setVote(vote).setCommit(commit).build();
    resetRandomizedElectionTimeout();
    this.prevSoftState = softState();
  }

  // ---------------------------------------------------------------- membership (log-time, thesis §4.1)

  /** Entries were appended to the log: a conf change takes effect as soon as it is in the log. */
  void onAppended(List<Entry> entries) {
    if (membershipLog.onAppended(entries)) {
      setMembership(membershipLog.current());
    }
  }

  private void setMembership(Membership m) {
    membership = m;
    if (role == Role.LEADER) {
      replication.syncProgress();
      if (leadTransferee != 0 && !m.isVoter(leadTransferee)) {
        leadTransferee = 0;
      }
    }
  }

  long latestConfIndex() {
    return membershipLog.latestIndex();
  }

  boolean promotable() {
    return membership.isVoter(id) && log.unstableSnapshot() == null;
  }

  // ---------------------------------------------------------------- roles

  private void reset(long newTerm) {
    if (term != newTerm) {
      term = newTerm;
      vote = 0;
    }
    leader = 0;
    electionElapsed = 0;
    heartbeatElapsed = 0;
    resetRandomizedElectionTimeout();
    votes = null;
    progress.clear();
    leadTransferee = 0;
    leaseRevoked = false;
    reads.reset();
    readsAwaitingCommit = null;
    readRoundPending = false;
    pendingConfIndex = 0;
    quiesced = false;
  }

  private void resetRandomizedElectionTimeout() {
    randomizedElectionTimeout = cfg.electionTick() + random.nextInt(cfg.electionTick());
  }

  void becomeFollower(long newTerm, long newLeader) {
    reset(newTerm);
    role = Role.FOLLOWER;
    leader = newLeader;
  }

  private void becomePreCandidate() {
    role = Role.PRE_CANDIDATE;
    leader = 0;
    votes = new HashMap<>();
    progress.clear();
  }

  private void becomeCandidate() {
    reset(term + 1);
    role = Role.CANDIDATE;
    vote = id;
    votes = new HashMap<>();
    metrics.electionStarted();
  }

  private void becomeLeader() {
    reset(term);
    role = Role.LEADER;
    leader = id;
    metrics.electionWon();
    replication.syncProgress();
    for (Progress pr : progress.values()) {
      pr.recentActive = true;
    }
    pendingConfIndex = latestConfIndex();
    // A no-op of the new term: committing it commits everything before it (§5.4.2), and it is the entry
    // of its own term a leader must commit before changing membership (thesis §4.1 fix).
    appendEntries(List.of(Entry.newBuilder().setType(EntryType.ENTRY_NORMAL)));
  }

  enum CampaignType {
    PRE_VOTE,
    ELECTION,
    TRANSFER
  }

  void campaign(CampaignType type) {
    if (!promotable()) {
      return;
    }
    long voteTerm;
    MessageType mt;
    if (type == CampaignType.PRE_VOTE) {
      becomePreCandidate();
      voteTerm = term + 1;
      mt = MessageType.MSG_PRE_VOTE;
    } else {
      becomeCandidate();
      voteTerm = term;
      mt = MessageType.MSG_VOTE;
    }
    if (poll(id, true) == Membership.VoteResult.WON) {
      if (type == CampaignType.PRE_VOTE) {
        campaign(CampaignType.ELECTION);
      } else {
        becomeLeader();
      }
      return;
    }
    for (long v : membership.voters()) {
      if (v == id) {
        continue;
      }
      send(
          Message.newBuilder()
              .setType(mt)
              .setTo(v)
              .setTerm(voteTerm)
              .setIndex(log.lastIndex())
              .setLogTerm(log.lastTerm())
              .setLeaderTransfer(type == CampaignType.TRANSFER));
    }
  }

  private Membership.VoteResult poll(long from, boolean granted) {
    votes.putIfAbsent(from, granted);
    return membership.voteResult(votes);
  }

  // ---------------------------------------------------------------- ticks

  void tick() {
    tickCount++;
    if (ticksSinceStart < cfg.electionTick()) {
      ticksSinceStart++;
    }
    if (leader != 0) {
      campaignDeferral = 0; // a leader is known: from now on elections run as usual
    }
    if (quiesced) {
      return;
    }
    if (role == Role.LEADER) {
      replication.tickLeader();
    } else {
      electionElapsed++;
      if (campaignDeferral > 0 && --campaignDeferral > 0) {
        return;
      }
      if (promotable() && electionElapsed >= randomizedElectionTimeout) {
        electionElapsed = 0;
        campaign(cfg.preVote() ? CampaignType.PRE_VOTE : CampaignType.ELECTION);
      }
    }
  }

  /**
   * The driver knows the process of {@code node} is gone (see {@link RawNode#reportPeerDown}). A follower
   * led by it stops waiting for the election timeout: it forgets its leader, so it grants (pre-)votes at
   * once instead of defending a dead leader's lease, and campaigns after 1, 3, 5, ... ticks: a slot of its
   * own among the surviving voters, so they do not campaign in the same tick and split the vote (a tick is
   * plenty for the others to hear of the death too, which is a matter of milliseconds).
   */
  void peerDown(long node) {
    if (role != Role.FOLLOWER || leader != node || node == id) {
      return;
    }
    wake();
    leader = 0;
    campaignDeferral = 0; // we had a leader: a deferral from the group's creation is over
    // Distinct delays, so the survivors do not all campaign in one tick and split the vote: each takes
    // a slot from its rank among the other voters, rotated by the term (the same on every survivor, and
    // different from group to group, so the dead node's leaderships spread over the survivors).
    long[] voters = membership.voters();
    int rank = 0;
    int others = 0;
    for (long v : voters) {
      if (v != node) {
        if (v < id) {
          rank++;
        }
        others++;
      }
    }
    int slot = (int) ((rank + term) % Math.max(1, others));
    int delay = 1 + 2 * slot;
    electionElapsed = Math.max(electionElapsed, Math.max(cfg.electionTick(), randomizedElectionTimeout - delay));
    metrics.leaderReportedDown();
  }

  /** Resumes a quiet group (see {@link Config#quiesce()}). */
  void wake() {
    if (!quiesced) {
      return;
    }
    quiesced = false;
    electionElapsed = 0;
    if (role == Role.LEADER) {
      for (Progress pr : progress.values()) {
        pr.recentActive = true;
      }
      replication.broadcastHeartbeat(false);
    }
  }

  // ---------------------------------------------------------------- messages

  /** Queues a message; {@code term} defaults to the current term. */
  void send(Message.Builder m) {
    m.setFrom(id);
    if (m.getTerm() == 0) {
      m.setTerm(term);
    }
    Message msg = m.build();
    switch (msg.getType()) {
      case MSG_APPEND_RESP:
      case MSG_VOTE:
      case MSG_VOTE_RESP:
      case MSG_SNAPSHOT_RESP:
        // These promise something about this node's durable state (log, term, vote): raft-rs's
        // persisted messages, released after the Ready is persisted.
        msgsAfterPersist.add(msg);
        break;
      case MSG_HEARTBEAT_RESP:
        // Leaves at once (as in etcd-raft), so a leader's ReadIndex round does not wait for the fsync
        // of whatever this node is writing meanwhile. It promises nothing that is not durable: the
        // entry it reports is the last durable one (Follower#handleHeartbeat), and a term raised by
        // the heartbeat itself and lost in a crash grants nothing either: no other node can win that
        // term, since the leader it acknowledges already holds a quorum of durable votes in it (and a
        // lease a restarted node may have backed is covered by RaftCore#inVoteLease).
        msgs.add(msg);
        break;
      default:
        msgs.add(msg);
    }
  }

  private boolean inVoteLease(Message m) {
    if (!cfg.checkQuorum() || m.getLeaderTransfer()) {
      return false;
    }
    if (leader != 0 && electionElapsed < cfg.electionTick()) {
      return true;
    }
    // A restarted node may have acknowledged a leader's lease before the crash (lease reads only).
    return cfg.leaseRead() && ticksSinceStart < cfg.electionTick();
  }

  void step(Message m) {
    MessageType type = m.getType();
    if (m.getTo() != id || m.getFrom() == 0 || m.getFrom() == id
        || type == MessageType.MSG_UNSPECIFIED || type == MessageType.UNRECOGNIZED) {
      metrics.drop(DropReason.MISADDRESSED);
      return;
    }
    if (quiesced
        && !(type == MessageType.MSG_HEARTBEAT && m.getQuiesce())
        && type != MessageType.MSG_HEARTBEAT_RESP) {
      wake();
    }
    if (m.getTerm() > term) {
      if (type == MessageType.MSG_VOTE || type == MessageType.MSG_PRE_VOTE) {
        if (inVoteLease(m)) {
          metrics.drop(DropReason.VOTE_IN_LEASE);
          return;
        }
      }
      boolean noBump =
          type == MessageType.MSG_PRE_VOTE
              || (type == MessageType.MSG_PRE_VOTE_RESP && !m.getReject());
      if (!noBump) {
        boolean fromLeader =
            type == MessageType.MSG_APPEND
                || type == MessageType.MSG_HEARTBEAT
                || type == MessageType.MSG_SNAPSHOT;
        becomeFollower(m.getTerm(), fromLeader ? m.getFrom() : 0);
      }
    } else if (m.getTerm() < term) {
      if ((cfg.checkQuorum() || cfg.preVote())
          && (type == MessageType.MSG_APPEND || type == MessageType.MSG_HEARTBEAT)) {
        // A stale leader (e.g. back from a partition, which pre-vote kept from bumping our term)
        // learns the new term from this and steps down.
        send(Message.newBuilder().setType(MessageType.MSG_APPEND_RESP).setTo(m.getFrom()));
      } else if (type == MessageType.MSG_PRE_VOTE) {
        send(respond(m, MessageType.MSG_PRE_VOTE_RESP).setReject(true));
      }
      metrics.drop(DropReason.STALE_TERM);
      return;
    }

    switch (type) {
      case MSG_VOTE:
      case MSG_PRE_VOTE:
        handleVote(m);
        return;
      default:
        break;
    }
    switch (role) {
      case LEADER:
        replication.stepLeader(m);
        break;
      case CANDIDATE:
      case PRE_CANDIDATE:
        stepCandidate(m);
        break;
      default:
        stepFollower(m);
    }
  }

  /** A complete snapshot was received: the membership becomes the snapshot's. */
  void restoreMembership(SnapshotMetadata meta) {
    membershipLog.restore(meta.getConfState());
    setMembership(membershipLog.current());
  }

  static Message.Builder respond(Message m, MessageType type) {
    return Message.newBuilder().setType(type).setTo(m.getFrom());
  }

  private void handleVote(Message m) {
    boolean pre = m.getType() == MessageType.MSG_PRE_VOTE;
    boolean canVote =
        vote == m.getFrom() || (vote == 0 && leader == 0) || (pre && m.getTerm() > term);
    MessageType respType = pre ? MessageType.MSG_PRE_VOTE_RESP : MessageType.MSG_VOTE_RESP;
    if (canVote && log.isUpToDate(m.getIndex(), m.getLogTerm())) {
      // A pre-vote grant carries the term the candidate would use; a real one our (equal) term.
      send(respond(m, respType).setTerm(m.getTerm()));
      if (!pre) {
        electionElapsed = 0;
        vote = m.getFrom();
      }
    } else {
      send(respond(m, respType).setTerm(term).setReject(true));
    }
  }

  private void stepCandidate(Message m) {
    switch (m.getType()) {
      case MSG_APPEND:
      case MSG_HEARTBEAT:
      case MSG_SNAPSHOT:
        becomeFollower(m.getTerm(), m.getFrom());
        stepFollower(m);
        return;
      case MSG_VOTE_RESP:
      case MSG_PRE_VOTE_RESP:
        boolean mine =
            (role == Role.CANDIDATE) == (m.getType() == MessageType.MSG_VOTE_RESP);
        if (!mine) {
          metrics.drop(DropReason.STALE_RESPONSE);
          return;
        }
        switch (poll(m.getFrom(), !m.getReject())) {
          case WON:
            if (role == Role.PRE_CANDIDATE) {
              campaign(CampaignType.ELECTION);
            } else {
              becomeLeader();
            }
            break;
          case LOST:
            becomeFollower(term, 0);
            break;
          default:
            break;
        }
        return;
      default:
        metrics.drop(DropReason.UNEXPECTED_FOR_ROLE);
    }
  }

  private void stepFollower(Message m) {
    switch (m.getType()) {
      case MSG_APPEND:
        electionElapsed = 0;
        leader = m.getFrom();
        follower.handleAppend(m);
        return;
      case MSG_HEARTBEAT:
        electionElapsed = 0;
        leader = m.getFrom();
        follower.handleHeartbeat(m);
        return;
      case MSG_SNAPSHOT:
        electionElapsed = 0;
        leader = m.getFrom();
        follower.handleSnapshotChunk(m);
        return;
      case MSG_TIMEOUT_NOW:
        if (promotable()) {
          campaign(CampaignType.TRANSFER);
        } else {
          metrics.drop(DropReason.UNEXPECTED_FOR_ROLE);
        }
        return;
      case MSG_READ_INDEX_RESP:
        readStates.add(new ReadState(m.getIndex(), m.getContext().toByteArray(), false));
        return;
      case MSG_TRANSFER_LEADER:
      case MSG_READ_INDEX:
        if (leader != 0) {
          send(m.toBuilder().setTo(leader).setTerm(0));
        }
        return;
      default:
        metrics.drop(DropReason.UNEXPECTED_FOR_ROLE);
    }
  }

  // ---------------------------------------------------------------- proposals and reads

  /** Leader: appends entries (term and index assigned here) to its own log. */
  long appendEntries(List<Entry.Builder> entries) {
    long index = log.lastIndex();
    List<Entry> built = new ArrayList<>(entries.size());
    for (Entry.Builder b : entries) {
      built.add(b.setTerm(term).setIndex(++index).build());
    }
    log.append(built);
    onAppended(built);
    replication.broadcastPending = true;
    if (membership.voters().length == 1) {
      replication.maybeCommit(); // nothing to wait for but our own persistence
    }
    return index;
  }

  void checkLeader() {
    if (role != Role.LEADER) {
      metrics.proposalRejected();
      throw new NotLeaderException(leader);
    }
    if (leadTransferee != 0) {
      metrics.proposalRejected();
      throw new ProposalRejectedException(
          Reason.LEADER_TRANSFER_IN_PROGRESS, "transferring to node " + leadTransferee);
    }
  }

  LogPosition propose(byte[] data) {
    wake();
    checkLeader();
    long index =
        appendEntries(
            List.of(
                Entry.newBuilder().setType(EntryType.ENTRY_NORMAL).setData(ByteString.copyFrom(data))));
    return new LogPosition(term, index);
  }

  LogPosition proposeConfChange(ConfChange cc) {
    wake();
    checkLeader();
    if (pendingConfIndex > log.committed || !committedInTerm()) {
      metrics.proposalRejected();
      throw new ProposalRejectedException(
          Reason.CONF_CHANGE_PENDING,
          "previous change at " + pendingConfIndex + " or this term's first entry not committed yet");
    }
    membership.apply(cc); // validates: throws INVALID_CONF_CHANGE
    long index =
        appendEntries(
            List.of(
                Entry.newBuilder()
                    .setType(EntryType.ENTRY_CONF_CHANGE)
                    .setData(cc.toByteString())));
    pendingConfIndex = index;
    return new LogPosition(term, index);
  }

  boolean committedInTerm() {
    return log.termOrZero(log.committed) == term;
  }

  /**
   * A read request from the local application ({@code from == 0}) or forwarded by a follower. The lease
   * answers it only when {@code allowLease} (forwarded reads never: the follower's caller did not say).
   */
  void readIndex(byte[] context, long from, boolean allowLease) {
    if (role != Role.LEADER) {
      if (leader == 0) {
        throw new NotLeaderException(0);
      }
      send(
          Message.newBuilder()
              .setType(MessageType.MSG_READ_INDEX)
              .setTo(leader)
              .setContext(ByteString.copyFrom(context)));
      return;
    }
    if (!committedInTerm()) {
      // Raft §6.4 step 1: the commit index is only known to be current once this term committed.
      if (readsAwaitingCommit == null) {
        readsAwaitingCommit = new ArrayList<>();
      }
      readsAwaitingCommit.add(new ReadTracker.PendingRead(0, 0, context, from, allowLease));
      return;
    }
    ReadTracker.PendingRead read =
        new ReadTracker.PendingRead(reads.currentRound() + 1, log.committed, context, from, allowLease);
    if (membership.voters().length == 1 && membership.isVoter(id)) {
      deliverRead(read, false);
    } else if (allowLease && leaseValid()) {
      deliverRead(read, true);
    } else {
      reads.add(read);
      readRoundPending = true; // one heartbeat round for all reads registered before the next Ready
    }
  }

  void releaseReadsAwaitingCommit() {
    if (readsAwaitingCommit != null && committedInTerm()) {
      List<ReadTracker.PendingRead> waiting = readsAwaitingCommit;
      readsAwaitingCommit = null;
      for (ReadTracker.PendingRead r : waiting) {
        readIndex(r.context(), r.from(), r.allowLease());
      }
    }
  }

  boolean hasReadsAwaitingCommit() {
    return readsAwaitingCommit != null;
  }

  void deliverRead(ReadTracker.PendingRead read, boolean lease) {
    if (lease) {
      metrics.leaseRead();
    } else {
      metrics.readIndexRead();
    }
    if (read.from() == 0) {
      readStates.add(new ReadState(read.index(), read.context(), lease));
    } else {
      send(
          Message.newBuilder()
              .setType(MessageType.MSG_READ_INDEX_RESP)
              .setTo(read.from())
              .setIndex(read.index())
              .setContext(ByteString.copyFrom(read.context())));
    }
  }

  /** See {@link Config#leaseRead()} for why this is safe and what it assumes. */
  boolean leaseValid() {
    return role == Role.LEADER
        && cfg.leaseRead()
        && !leaseRevoked
        && leadTransferee == 0
        && committedInTerm()
        && tickCount < reads.quorumRoundTick() + cfg.electionTick() - cfg.maxClockDriftTicks();
  }

  // ---------------------------------------------------------------- Ready / advance

  SoftState softState() {
    return new SoftState(leader, role, term);
  }

  HardState hardState() {
    return HardState.newBuilder().setTerm(term).setVote(vote).setCommit(log.committed).build();
  }

  boolean hasReady() {
    replication.flush();
    // Compared field by field: drivers poll this for thousands of idle groups, so no allocation here.
    return leader != prevSoftState.leader()
        || role != prevSoftState.role()
        || term != prevSoftState.term()
        || term != prevHardState.getTerm()
        || vote != prevHardState.getVote()
        || log.committed != prevHardState.getCommit()
        || !log.unstableEntries().isEmpty()
        || log.unstableSnapshot() != null
        || !chunksToStage.isEmpty()
        || log.hasCommittedToApply()
        || !msgs.isEmpty()
        || !msgsAfterPersist.isEmpty()
        || !readStates.isEmpty();
  }

  Ready ready() {
    replication.flush();
    SoftState ss = softState();
    HardState hs = hardState();
    boolean hardChanged = !hs.equals(prevHardState);
    List<Entry> entries = List.copyOf(log.unstableEntries());
    SnapshotMetadata snap = log.unstableSnapshot();
    boolean sync =
        !entries.isEmpty()
            || snap != null
            || hs.getTerm() != prevHardState.getTerm()
            || hs.getVote() != prevHardState.getVote();
    Ready rd =
        new Ready(
            ++readyNumber,
            ss.equals(prevSoftState) ? null : ss,
            hardChanged ? hs : null,
            entries,
            snap,
            chunksToStage,
            log.committedToApply(cfg.maxCommittedBytesPerReady()),
            msgs,
            msgsAfterPersist,
            readStates,
            sync);
    msgs = new ArrayList<>(0);
    msgsAfterPersist = new ArrayList<>(0);
    readStates = new ArrayList<>(0);
    chunksToStage = new ArrayList<>(0);
    pendingReady = rd;
    return rd;
  }

  boolean awaitingAdvance() {
    return pendingReady != null;
  }

  void advance(Ready rd) {
    if (rd != pendingReady) {
      throw new IllegalStateException("advance() must be given the Ready returned by the last ready()");
    }
    pendingReady = null;
    if (rd.softState() != null) {
      prevSoftState = rd.softState();
    }
    if (rd.hardState() != null) {
      prevHardState = rd.hardState();
    }
    if (!rd.entries().isEmpty() || rd.snapshot() != null) {
      log.stableAll();
    }
    if (!rd.committedEntries().isEmpty()) {
      log.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).getIndex());
    }
    membershipLog.compacted(log.firstIndex() - 1);
    if (role == Role.LEADER && !rd.entries().isEmpty()) {
      replication.maybeCommit(); // our own entries are durable now: they count towards the quorum
    }
  }

  /** Metadata for a snapshot the application takes of its state at {@code index} (applied). */
  SnapshotMetadata snapshotMetadata(long index) {
    if (index > log.applied || index < log.firstIndex() - 1 || index <= 0) {
      throw new IllegalArgumentException(
          "snapshot index " + index + " must be applied and in the log [" + (log.firstIndex() - 1)
              + ", " + log.applied + "]");
    }
    return SnapshotMetadata.newBuilder()
        .setIndex(index)
        .setTerm(log.termOrZero(index))
        .setConfState(membershipLog.at(index).toConfState())
        .build();
  }

  Status status() {
    return Status.of(this);
  }

  /**
   * The commit rule of Raft §5.4.2: a leader commits an index counted on a quorum only if that entry is
   * from its current term (older entries are then committed indirectly). Package-private so tests can
   * install a broken rule in a subclass and check that the simulation catches it.
   */
  boolean canCommitAt(long index) {
    return log.termOrZero(index) == term;
  }

  /**
   * The largest index a quorum of voters has (Raft §5.3), given each voter's match index. Package-private
   * for the same reason as {@link #canCommitAt(long)}.
   */
  long quorumIndex(java.util.function.LongUnaryOperator match) {
    return membership.committedIndex(match);
  }
}
