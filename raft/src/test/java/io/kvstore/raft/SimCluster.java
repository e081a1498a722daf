package io.kvstore.raft;

import com.google.protobuf.ByteString;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * An in-process cluster on a simulated network (raft-rs's harness network, with MicroRaft's firewall):
 * seeded, deterministic. Each {@link #step()} is one unit of time: messages due now are delivered, every
 * live node ticks, and every node's Readies are handled as a real driver would (send, stage, persist,
 * send persisted messages, apply, advance), with the {@link SafetyOracle} watching.
 */
final class SimCluster {
  static final int CHUNK = 200;

  final SplittableRandom rnd;
  final SafetyOracle oracle = new SafetyOracle();
  final Map<Long, SimNode> nodes = new TreeMap<>();
  private final Config.Builder template;
  private final BiFunction<Config, LogStorage, RaftCore> coreFactory;
  long now;
  long messagesSent;

  // Network.
  double dropRate;
  double dupRate;
  int minDelay = 1;
  int maxDelay = 1;
  /** Whether a crash is reported to the others as "process gone" ({@link RawNode#reportPeerDown}). */
  boolean reportCrashes = true;
  /** Probability that a Ready is cut short by a crash (chaos runs only). */
  double crashInReadyRate;
  /** Whether nodes store their commit index, or only term and vote (as the node's driver does). */
  boolean storeCommitIndex = true;
  private final Set<Long> blocked = new HashSet<>();
  private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>();
  private long seq;
  /** Optional message rewriter for scenario tests: return null to drop, or an altered message. */
  java.util.function.UnaryOperator<Message> filter = m -> m;

  // Reads: context id → highest committed index when requested.
  private final Map<Long, Long> readsRequired = new HashMap<>();
  private long nextRead;
  long readsAnswered;
  long leaseReads;
  long snapshotsInstalled;
  long confChangesCommitted;
  long crashes;
  /** Observer of applied entries (scenario tests). */
  Consumer<Entry> onApply = e -> {};

  private record InFlight(long at, long seq, Message m) implements Comparable<InFlight> {
    @Override
    public int compareTo(InFlight o) {
      return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
    }
  }

  SimCluster(
      long seed,
      int voters,
      Config.Builder template,
      BiFunction<Config, LogStorage, RaftCore> coreFactory) {
    this.rnd = new SplittableRandom(seed);
    this.template = template;
    this.coreFactory = coreFactory;
    ConfState.Builder cs = ConfState.newBuilder();
    for (long id = 1; id <= voters; id++) {
      cs.addVoters(id);
    }
    for (long id = 1; id <= voters; id++) {
      SimNode n = new SimNode(id, MemoryStorage.bootstrap(cs.build()));
      nodes.put(id, n);
      start(n);
    }
  }

  SimCluster(long seed, int voters) {
    this(seed, voters, Config.builder(1), RaftCore::new);
  }

  static Config.Builder defaults() {
    return Config.builder(1).electionTick(10).heartbeatTick(2);
  }

  /** A cluster of {@code voters} with an elected leader and a quiet network. */
  static SimCluster withLeader(long seed, int voters, Config.Builder template) {
    SimCluster sim = new SimCluster(seed, voters, template, RaftCore::new);
    if (!sim.runUntil(() -> sim.leader() != null && sim.leader().core().committedInTerm(), 500)) {
      throw new AssertionError("no leader");
    }
    sim.settle(50);
    return sim;
  }

  /** Proposes {@code data} on the current leader and runs until every live node applied it. */
  long commit(byte[] data) {
    SimNode l = leader();
    long index = l.node.propose(data).index();
    if (!runUntil(() -> liveIds().stream().allMatch(id -> nodes.get(id).appliedIndex >= index), 500)) {
      throw new AssertionError("entry " + index + " not applied everywhere");
    }
    return index;
  }

  private Config config(long id, long applied) {
    // Builders are not copyable: rebuild from the template's settings.
    Config t = template.build();
    return Config.builder(id)
        .electionTick(t.electionTick())
        .heartbeatTick(t.heartbeatTick())
        .applied(applied)
        .maxSizePerMsg(t.maxSizePerMsg())
        .maxInflightMsgs(t.maxInflightMsgs())
        .maxInflightBytes(t.maxInflightBytes())
        .preVote(t.preVote())
        .checkQuorum(t.checkQuorum())
        .leaseRead(t.leaseRead())
        .maxClockDriftTicks(t.maxClockDriftTicks())
        .snapshotRetryTicks(t.snapshotRetryTicks())
        .quiesce(t.quiesce())
        .randomSeed(rnd.nextLong())
        .build();
  }

  // ---------------------------------------------------------------- membership of the simulation

  /**
   * Gives each node a tick rate between 100% and 90% of real time: at most one tick of drift per
   * election timeout of 10 ticks, within the lease's assumed bound of {@code maxClockDriftTicks} = 2.
   */
  void enableClockDrift() {
    driftEnabled = true;
    for (SimNode n : nodes.values()) {
      n.skipEvery = drawSkip();
    }
  }

  private boolean driftEnabled;

  private int drawSkip() {
    int[] choices = {0, 0, 10, 13, 17};
    return choices[rnd.nextInt(choices.length)];
  }

  SimNode addEmptyNode(long id) {
    SimNode n = new SimNode(id, new MemoryStorage());
    if (driftEnabled) {
      n.skipEvery = drawSkip();
    }
    nodes.put(id, n);
    start(n);
    return n;
  }

  void start(SimNode n) {
    if (DBG) {
      System.out.println(now + " start " + n.id);
    }
    n.loadStateFromSnapshot();
    n.staged = null;
    n.stageIndex = 0;
    n.stageTerm = 0;
    n.node = new RawNode(coreFactory.apply(config(n.id, n.snapMeta.getIndex()), n.storage));
    n.recordedCommit = n.snapMeta.getIndex();
    n.ledTerm = 0;
  }

  void crash(long id) {
    if (DBG) {
      System.out.println(now + " crash " + id);
    }
    crashes++;
    SimNode n = nodes.get(id);
    n.node = null;
    n.staged = null;
    n.pausedAt = -1;
    for (SimNode o : nodes.values()) {
      if (o.alive() && !o.core().awaitingAdvance()) {
        o.node.reportUnreachable(id); // the node-level failure detector
        if (reportCrashes) {
          o.node.reportPeerDown(id); // its port refuses connections: the process is gone
        }
      }
    }
  }

  /** SIGSTOP: node {@code id} stops ticking and handling anything; messages to it wait. */
  void pause(long id) {
    nodes.get(id).pausedAt = now;
  }

  /**
   * SIGCONT. With {@code driverNoticed}, the driver does what a real one must after a pause (see
   * {@link RawNode#expireLease()}): it voids the lease, then feeds the ticks the pause missed. Without, the
   * node carries on as if no time had passed (the bug a driver without a real-time clock has).
   */
  void resume(long id, boolean driverNoticed) {
    SimNode n = nodes.get(id);
    long missed = now - n.pausedAt;
    n.pausedAt = -1;
    if (driverNoticed && n.alive()) {
      n.node.expireLease();
      for (long i = 0; i < missed; i++) {
        n.node.tick();
      }
    }
  }

  SimNode node(long id) {
    return nodes.get(id);
  }

  /** The live leader with the highest term, or null. */
  SimNode leader() {
    SimNode best = null;
    for (SimNode n : nodes.values()) {
      if (n.alive() && n.core().role == Role.LEADER && (best == null || n.core().term > best.core().term)) {
        best = n;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- network

  private static long link(long from, long to) {
    return (from << 32) | to;
  }

  void block(long from, long to) {
    blocked.add(link(from, to));
    SimNode a = nodes.get(from);
    SimNode b = nodes.get(to);
    if (a != null && a.alive() && !a.core().awaitingAdvance()) {
      a.node.reportUnreachable(to);
    }
    if (b != null && b.alive() && !b.core().awaitingAdvance()) {
      b.node.reportUnreachable(from);
    }
  }

  void isolate(long id) {
    for (long o : nodes.keySet()) {
      if (o != id) {
        block(id, o);
        block(o, id);
      }
    }
  }

  /** Only nodes in the same part can talk. */
  void partition(Set<Long> part) {
    for (long a : nodes.keySet()) {
      for (long b : nodes.keySet()) {
        if (a != b && part.contains(a) != part.contains(b)) {
          block(a, b);
        }
      }
    }
  }

  void heal() {
    blocked.clear();
  }

  boolean hasPartition() {
    return !blocked.isEmpty();
  }

  /** Re-reports blocked links and dead nodes to the failure detectors (quiet groups need it). */
  void reportFailures() {
    for (long l : blocked) {
      long from = l >>> 32;
      long to = l & 0xFFFFFFFFL;
      SimNode b = nodes.get(to);
      if (b != null && b.alive()) {
        b.node.reportUnreachable(from);
      }
    }
    for (SimNode dead : nodes.values()) {
      if (!dead.alive()) {
        for (SimNode o : nodes.values()) {
          if (o.alive()) {
            o.node.reportUnreachable(dead.id);
          }
        }
      }
    }
  }

  private void send(SimNode from, Message m) {
    if (m.getType() == MessageType.MSG_SNAPSHOT) {
      m = fillSnapshot(from, m);
      if (m == null) {
        return;
      }
    }
    messagesSent++;
    m = filter.apply(m);
    if (m == null || blocked.contains(link(m.getFrom(), m.getTo()))) {
      return;
    }
    if (dropRate > 0 && rnd.nextDouble() < dropRate) {
      return;
    }
    int copies = dupRate > 0 && rnd.nextDouble() < dupRate ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      long delay = minDelay + (maxDelay > minDelay ? rnd.nextInt(maxDelay - minDelay + 1) : 0);
      inFlight.add(new InFlight(now + delay, seq++, m));
    }
  }

  /** The driver's half of a snapshot transfer on the sender: read the bytes at the offset. */
  private Message fillSnapshot(SimNode from, Message m) {
    SnapshotChunk c = m.getSnapshot();
    SnapshotMetadata meta = c.getMetadata();
    if (meta.getIndex() != from.snapMeta.getIndex() || meta.getTerm() != from.snapMeta.getTerm()
        || c.getOffset() > from.snapData.length) {
      from.node.reportSnapshotFailure(m.getTo());
      return null;
    }
    int off = (int) c.getOffset();
    int end = Math.min(from.snapData.length, off + CHUNK);
    return m.toBuilder()
        .setSnapshot(
            c.toBuilder()
                .setData(ByteString.copyFrom(from.snapData, off, end - off))
                .setLast(end == from.snapData.length)
                .setTotalSize(from.snapData.length))
        .build();
  }

  // ---------------------------------------------------------------- time

  void step() {
    now++;
    List<InFlight> held = new ArrayList<>();
    while (!inFlight.isEmpty() && inFlight.peek().at() <= now) {
      InFlight f = inFlight.poll();
      Message m = f.m();
      SimNode to = nodes.get(m.getTo());
      if (to == null || !to.alive() || blocked.contains(link(m.getFrom(), m.getTo()))) {
        continue;
      }
      if (to.paused()) {
        held.add(new InFlight(now + 1, f.seq(), m)); // waits in the socket until the process wakes
        continue;
      }
      to.node.step(m);
    }
    inFlight.addAll(held);
    for (SimNode n : nodes.values()) {
      // Bounded clock drift: a slow node misses one tick in skipEvery (see Config#leaseRead()).
      if (n.alive() && !n.paused() && (n.skipEvery == 0 || now % n.skipEvery != 0) && now % n.tickEvery == 0) {
        n.node.tick();
      }
    }
    processAll();
  }

  /** Handles every node's Readies until none has any (bounded), then runs the per-step checks. */
  void processAll() {
    for (int round = 0; round < 20; round++) {
      boolean any = false;
      for (SimNode n : nodes.values()) {
        if (n.alive() && !n.paused() && n.node.hasReady()) {
          any = true;
          handleReady(n);
        }
      }
      if (!any) {
        break;
      }
    }
    checkInvariants();
  }

  void handleReady(SimNode n) {
    Ready rd = n.node.ready();
    int crashAt = crashInReadyRate > 0 && rnd.nextDouble() < crashInReadyRate ? rnd.nextInt(3) : -1;
    for (Message m : rd.messages()) {
      send(n, m);
    }
    if (crashAt == 0) {
      crash(n.id);
      return;
    }
    for (SnapshotChunk c : rd.snapshotChunks()) {
      stage(n, c);
    }
    if (rd.snapshot() != null) {
      install(n, rd.snapshot());
    }
    if (storeCommitIndex) {
      n.storage.persist(rd);
    } else {
      n.storage.persistWithoutCommitIndex(rd);
    }
    for (Entry e : rd.entries()) {
      long prevTerm;
      try {
        prevTerm = n.storage.term(e.getIndex() - 1);
      } catch (CompactedException ex) {
        prevTerm = -1;
      }
      oracle.onPersisted(n.id, e, prevTerm);
    }
    if (crashAt == 1) {
      crash(n.id);
      return;
    }
    for (Message m : rd.persistedMessages()) {
      send(n, m);
    }
    if (crashAt == 2) {
      crash(n.id);
      return;
    }
    for (Entry e : rd.committedEntries()) {
      if (e.getIndex() != n.appliedIndex + 1) {
        throw new AssertionError(
            "node " + n.id + " was handed entry " + e.getIndex() + " after applying " + n.appliedIndex);
      }
      n.digest = SimNode.mix(n.digest, e);
      n.appliedIndex = e.getIndex();
      if (oracle.onApplied(n.id, e.getIndex(), n.digest)
          && e.getType() == io.kvstore.raft.proto.EntryType.ENTRY_CONF_CHANGE) {
        confChangesCommitted++;
      }
      onApply.accept(e);
    }
    for (ReadState rs : rd.readStates()) {
      Long required =
          rs.context().length == 8 ? readsRequired.remove(ByteBuffer.wrap(rs.context()).getLong()) : null;
      if (required != null) {
        oracle.checkRead(n.id, rs.index(), required);
        readsAnswered++;
        if (rs.lease()) {
          leaseReads++;
        }
      }
    }
    n.node.advance(rd);
  }

  static final boolean DBG = System.getProperty("simdbg") != null;

  private void stage(SimNode n, SnapshotChunk c) {
    if (DBG) {
      System.out.println(now + " node " + n.id + " stage " + c.getMetadata().getIndex() + "/" + c.getMetadata().getTerm() + " off " + c.getOffset() + " len " + c.getData().size() + " last " + c.getLast() + " staged=" + (n.staged == null ? "null" : n.stageIndex + "/" + n.staged.size()));
    }
    if (c.getOffset() == 0) {
      n.staged = new ByteArrayOutputStream();
      n.stageIndex = c.getMetadata().getIndex();
      n.stageTerm = c.getMetadata().getTerm();
    }
    if (n.staged == null || n.staged.size() != c.getOffset()
        || n.stageIndex != c.getMetadata().getIndex()) {
      throw new AssertionError("node " + n.id + " was handed chunk at " + c.getOffset() + " out of order");
    }
    n.staged.write(c.getData().toByteArray(), 0, c.getData().size());
  }

  private void install(SimNode n, SnapshotMetadata meta) {
    if (DBG) {
      System.out.println(now + " node " + n.id + " install " + meta.getIndex() + "/" + meta.getTerm() + " staged=" + (n.staged == null ? "null" : n.stageIndex + "/" + n.stageTerm + "/" + n.staged.size()));
    }
    if (n.staged == null || n.stageIndex != meta.getIndex() || n.stageTerm != meta.getTerm()) {
      throw new AssertionError("node " + n.id + " told to install snapshot " + meta.getIndex()
          + " that was not staged");
    }
    byte[] data = n.staged.toByteArray();
    n.staged = null;
    ByteBuffer b = ByteBuffer.wrap(data);
    long index = b.getLong();
    long digest = b.getLong();
    if (index != meta.getIndex() || !java.util.Arrays.equals(data, SimNode.encodeSnapshot(index, digest))) {
      throw new AssertionError("node " + n.id + " staged a corrupt snapshot");
    }
    n.snapMeta = meta;
    n.snapData = data;
    snapshotsInstalled++;
    n.appliedIndex = index;
    n.digest = digest;
    oracle.onApplied(n.id, index, digest);
  }

  /** The application on node {@code id} snapshots its state and compacts its log. */
  void takeSnapshot(long id) {
    SimNode n = nodes.get(id);
    if (!n.alive() || n.appliedIndex <= n.snapMeta.getIndex() || n.core().awaitingAdvance()) {
      return;
    }
    SnapshotMetadata meta = n.node.snapshotMetadata(n.appliedIndex);
    n.snapMeta = meta;
    n.snapData = SimNode.encodeSnapshot(n.appliedIndex, n.digest);
    n.storage.compact(meta);
  }

  /** Asks node {@code id} for a read index that a valid lease may answer; checked when it arrives. */
  void read(long id) {
    read(id, true);
  }

  /** Asks node {@code id} for a read index; the answer is checked when it arrives. */
  void read(long id, boolean allowLease) {
    SimNode n = nodes.get(id);
    long required = oracle.maxCommitted();
    for (SimNode o : nodes.values()) {
      if (o.alive()) {
        required = Math.max(required, o.core().log.committed);
      }
    }
    long ctx = ++nextRead;
    try {
      n.node.readIndex(ByteBuffer.allocate(8).putLong(ctx).array(), allowLease);
      readsRequired.put(ctx, required);
    } catch (NotLeaderException e) {
      // no leader known: the client would retry elsewhere
    }
  }

  private void checkInvariants() {
    for (SimNode n : nodes.values()) {
      if (!n.alive()) {
        continue;
      }
      RaftCore c = n.core();
      long commit = c.log.committed;
      for (long i = Math.max(n.recordedCommit + 1, c.log.firstIndex()); i <= commit; i++) {
        oracle.onCommitted(n.id, i, c.log.termOrZero(i));
      }
      n.recordedCommit = Math.max(n.recordedCommit, commit);
      if (c.role == Role.LEADER) {
        oracle.onLeader(c.term, n.id);
        if (n.ledTerm != c.term) {
          n.ledTerm = c.term;
          oracle.checkLeaderCompleteness(c);
        }
      }
    }
  }

  /**
   * Without ticking: handles Readies and delivers every message in flight, over and over, until nothing
   * moves (scenario tests that control elections by hand).
   */
  void deliverAll() {
    for (int i = 0; i < 1000; i++) {
      processAll();
      if (inFlight.isEmpty()) {
        return;
      }
      List<InFlight> batch = new ArrayList<>(inFlight);
      inFlight.clear();
      batch.sort(null);
      for (InFlight f : batch) {
        Message m = f.m();
        SimNode to = nodes.get(m.getTo());
        if (to != null && to.alive() && !blocked.contains(link(m.getFrom(), m.getTo()))) {
          to.node.step(m);
        }
      }
    }
    throw new AssertionError("messages still in flight after 1000 rounds");
  }

  /** Ticks node {@code id} alone {@code n} times (no delivery). */
  void tick(long id, int n) {
    for (int i = 0; i < n; i++) {
      nodes.get(id).node.tick();
    }
  }

  /** Delivers everything in flight and handles Readies until the network is empty (scenario tests). */
  void settle(int maxSteps) {
    for (int i = 0; i < maxSteps && !inFlight.isEmpty(); i++) {
      step();
    }
  }

  /** Runs until {@code done} holds or {@code maxSteps} pass; returns whether it held. */
  boolean runUntil(java.util.function.BooleanSupplier done, int maxSteps) {
    for (int i = 0; i < maxSteps; i++) {
      if (done.getAsBoolean()) {
        return true;
      }
      step();
    }
    return done.getAsBoolean();
  }

  List<Long> liveIds() {
    List<Long> out = new ArrayList<>();
    for (SimNode n : nodes.values()) {
      if (n.alive()) {
        out.add(n.id);
      }
    }
    return out;
  }

  int inFlightCount() {
    return inFlight.size();
  }
}
