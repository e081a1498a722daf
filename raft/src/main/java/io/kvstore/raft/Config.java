package io.kvstore.raft;

/**
 * The settings of one replica's core. Times are in ticks: the driver calls {@link RawNode#tick()} at a
 * fixed period (e.g. every 100 ms), so {@code electionTick = 10} means an election timeout of one second.
 *
 * <p>Build with {@link #builder(long)}; every setting has a default except the node id.
 */
public final class Config {
  private final long id;
  private final int electionTick;
  private final int heartbeatTick;
  private final long applied;
  private final long maxSizePerMsg;
  private final int maxInflightMsgs;
  private final long maxInflightBytes;
  private final long maxCommittedBytesPerReady;
  private final boolean preVote;
  private final boolean checkQuorum;
  private final boolean leaseRead;
  private final int maxClockDriftTicks;
  private final int snapshotRetryTicks;
  private final boolean quiesce;
  private final long randomSeed;

  private Config(Builder b) {
    this.id = b.id;
    this.electionTick = b.electionTick;
    this.heartbeatTick = b.heartbeatTick;
    this.applied = b.applied;
    this.maxSizePerMsg = b.maxSizePerMsg;
    this.maxInflightMsgs = b.maxInflightMsgs;
    this.maxInflightBytes = b.maxInflightBytes;
    this.maxCommittedBytesPerReady = b.maxCommittedBytesPerReady;
    this.preVote = b.preVote;
    this.checkQuorum = b.checkQuorum;
    this.leaseRead = b.leaseRead;
    this.maxClockDriftTicks = b.maxClockDriftTicks;
    this.snapshotRetryTicks = b.snapshotRetryTicks == 0 ? b.electionTick : b.snapshotRetryTicks;
    this.quiesce = b.quiesce;
    this.randomSeed = b.randomSeed;
    if (id <= 0) {
      throw new IllegalArgumentException("node id must be positive");
    }
    if (heartbeatTick <= 0 || electionTick <= heartbeatTick) {
      throw new IllegalArgumentException("need 0 < heartbeatTick < electionTick");
    }
    if (maxInflightMsgs <= 0 || maxSizePerMsg <= 0) {
      throw new IllegalArgumentException("maxInflightMsgs and maxSizePerMsg must be positive");
    }
    if (leaseRead && (!checkQuorum || maxClockDriftTicks < 1 || maxClockDriftTicks >= electionTick)) {
      throw new IllegalArgumentException(
          "leaseRead needs checkQuorum and 1 <= maxClockDriftTicks < electionTick");
    }
  }

  public static Builder builder(long id) {
    return new Builder(id);
  }

  /** This replica's node id (positive, unique in the cluster). */
  public long id() {
    return id;
  }

  /**
   * Minimum election timeout in ticks; each follower draws its timeout uniformly in
   * {@code [electionTick, 2 * electionTick)} (Raft §5.2). Also the check-quorum period.
   */
  public int electionTick() {
    return electionTick;
  }

  /** A leader sends heartbeats every {@code heartbeatTick} ticks. */
  public int heartbeatTick() {
    return heartbeatTick;
  }

  /**
   * The last index the application had applied when this core was created (its durable applied index, or
   * the snapshot's index when its state is rebuilt from the snapshot). Committed entries after it are
   * handed out again. The storage's membership must be the one as of this index.
   */
  public long applied() {
    return applied;
  }

  /** Upper bound on the entry bytes in one append message (at least one entry is always sent). */
  public long maxSizePerMsg() {
    return maxSizePerMsg;
  }

  /** At most this many append messages in flight to one follower (pipelining, flow control by count). */
  public int maxInflightMsgs() {
    return maxInflightMsgs;
  }

  /** At most this many entry bytes in flight to one follower (flow control by bytes; 0: no limit). */
  public long maxInflightBytes() {
    return maxInflightBytes;
  }

  /** Upper bound on the bytes of committed entries in one Ready (at least one entry is handed out). */
  public long maxCommittedBytesPerReady() {
    return maxCommittedBytesPerReady;
  }

  /** Pre-vote (thesis §9.6): a node asks whether it could win before bumping its term. */
  public boolean preVote() {
    return preVote;
  }

  /**
   * Check-quorum: a leader that has not heard from a quorum within an election timeout steps down, and a
   * node that heard from a leader within the minimum election timeout ignores vote requests (thesis §6.2),
   * so a node returning from a partition cannot disrupt a healthy leader.
   */
  public boolean checkQuorum() {
    return checkQuorum;
  }

  /**
   * Lease reads: the leader answers {@link RawNode#readIndex(byte[], boolean)} with {@code allowLease} at
   * once, without a heartbeat round, while it holds a lease: a quorum acknowledged a heartbeat sent at tick {@code s}, and the current tick
   * is before {@code s + electionTick - maxClockDriftTicks} (thesis §6.4.1).
   *
   * <p>Why it is safe: a voter that acknowledged that heartbeat received it after tick {@code s}, and
   * (check-quorum) will not vote for another candidate until {@code electionTick} of its own ticks have
   * passed without hearing from the leader; a restarted voter waits {@code electionTick} ticks before it
   * votes. So no other leader can exist before {@code s + electionTick} on a voter's clock.
   *
   * <p>Assumption: tick rates of different nodes differ by less than {@code maxClockDriftTicks} per
   * election timeout (bounded clock drift), and a leadership transfer (which bypasses the vote lease)
   * voids the lease for the rest of the term. A paused process (SIGSTOP, a long GC or VM pause) breaks the
   * assumption: it does not tick, so on waking its lease still looks valid. The driver must measure real
   * time between ticks and call {@link RawNode#expireLease()} when a gap exceeds the drift margin, before
   * serving any read. Reads that must be linearizable whatever the clocks do use
   * {@link RawNode#readIndex(byte[])} (never the lease); so do reads forwarded by followers.
   */
  public boolean leaseRead() {
    return leaseRead;
  }

  /** The drift margin of the lease, in ticks; the lease lasts {@code electionTick - maxClockDriftTicks}. */
  public int maxClockDriftTicks() {
    return maxClockDriftTicks;
  }

  /** A snapshot chunk not acknowledged within this many ticks is sent again (default: electionTick). */
  public int snapshotRetryTicks() {
    return snapshotRetryTicks;
  }

  /**
   * Quiescence of idle groups: when every follower has the whole log and everything is committed, the
   * leader sends one last heartbeat marked {@code quiesce} and goes quiet; followers stop their election
   * timers. Any proposal, read, message or {@link RawNode#wake()} wakes the group. A quiet follower no
   * longer detects a dead leader by itself: the driver must call {@link RawNode#reportUnreachable(long)}
   * when its node-level failure detector says a leader's node is down (one detector per node pair, not
   * one per group). Off by default.
   */
  public boolean quiesce() {
    return quiesce;
  }

  /** Seed of the randomized election timeouts (deterministic runs in simulations). */
  public long randomSeed() {
    return randomSeed;
  }

  /** Builder with defaults: electionTick 10, heartbeatTick 1, pre-vote and check-quorum on. */
  public static final class Builder {
    private final long id;
    private int electionTick = 10;
    private int heartbeatTick = 1;
    private long applied;
    private long maxSizePerMsg = 1 << 20;
    private int maxInflightMsgs = 256;
    private long maxInflightBytes = 32L << 20;
    private long maxCommittedBytesPerReady = 64L << 20;
    private boolean preVote = true;
    private boolean checkQuorum = true;
    private boolean leaseRead;
    private int maxClockDriftTicks = 2;
    private int snapshotRetryTicks;
    private boolean quiesce;
    private long randomSeed;

    private Builder(long id) {
      this.id = id;
      this.randomSeed = id * 0x9E3779B97F4A7C15L;
    }

    public Builder electionTick(int v) {
      this.electionTick = v;
      return this;
    }

    public Builder heartbeatTick(int v) {
      this.heartbeatTick = v;
      return this;
    }

    public Builder applied(long v) {
      this.applied = v;
      return this;
    }

    public Builder maxSizePerMsg(long v) {
      this.maxSizePerMsg = v;
      return this;
    }

    public Builder maxInflightMsgs(int v) {
      this.maxInflightMsgs = v;
      return this;
    }

    public Builder maxInflightBytes(long v) {
      this.maxInflightBytes = v;
      return this;
    }

    public Builder maxCommittedBytesPerReady(long v) {
      this.maxCommittedBytesPerReady = v;
      return this;
    }

    public Builder preVote(boolean v) {
      this.preVote = v;
      return this;
    }

    public Builder checkQuorum(boolean v) {
      this.checkQuorum = v;
      return this;
    }

    public Builder leaseRead(boolean v) {
      this.leaseRead = v;
      return this;
    }

    public Builder maxClockDriftTicks(int v) {
      this.maxClockDriftTicks = v;
      return this;
    }

    public Builder snapshotRetryTicks(int v) {
      this.snapshotRetryTicks = v;
      return this;
    }

    public Builder quiesce(boolean v) {
      this.quiesce = v;
      return this;
    }

    public Builder randomSeed(long v) {
      this.randomSeed = v;
      return this;
    }

    public Config build() {
      return new Config(this);
    }
  }
}
