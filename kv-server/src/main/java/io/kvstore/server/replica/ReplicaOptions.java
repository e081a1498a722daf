package io.kvstore.server.replica;

import io.kvstore.server.statemachine.SessionTable;
import io.kvstore.storage.StorageOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of a node's shard replicas. {@link #defaults()} suits a small production node; tests shrink the
 * tick and the snapshot threshold.
 *
 * @param tick the period of one Raft tick (the logical clock of every group on the node)
 * @param electionTicks minimum election timeout in ticks (each follower draws in [n, 2n)); also the
 *     check-quorum period
 * @param heartbeatTicks a leader's heartbeat period in ticks
 * @param loopThreads worker loop threads; each drives a fixed share of the shards (shard i goes to thread
 *     i mod n, in ascending shard id order) and does one synced storage write per round
 * @param maxPendingProposals per shard: proposals queued or in flight (proposed, not yet applied) before
 *     {@link ProposalQueueFullException}
 * @param snapshotEntries a group's log is compacted once this many entries were applied since the
 *     previous compaction, or sooner while the node holds more applied log than its budget (half a log
 *     memtable, {@code worker/LogRetention}); a snapshot is pinned only when a follower needs one
 * @param readTimeoutTicks a ReadIndex request not answered within this many ticks fails with
 *     {@link ShardUnavailableException} (Raft drops read requests silently when leadership changes)
 * @param leaseReads serve CONSISTENCY_LEASE reads from the leader lease (Raft thesis §6.4.1; assumes clock
 *     drift below {@link #maxClockDriftTicks()}). LINEARIZABLE reads never use the lease. The worker
 *     voids every lease when its loop saw real time run on without ticks for longer than that margin (a
 *     paused process), so a LEASE read then takes a ReadIndex round. Off: LEASE reads take a ReadIndex
 *     round like LINEARIZABLE ones (stronger, slower)
 * @param cacheBytes the hot-value cache's budget (0: no cache)
 * @param sessions the exactly-once table's bounds per shard
 * @param storage the node's RocksDB budgets
 * @param maxTransportBatchBytes a {@code RaftBatch} is split above this size (the peer's gRPC server
 *     must accept messages at least this large plus one entry; 4 MiB is gRPC's default)
 * @param quiesce idle groups go quiet (Raft {@code Config.quiesce}): a leader whose followers have the
 *     whole log stops heartbeating the group, so 1,000 idle shards cost next to nothing; the node then
 *     sends one heartbeat per peer node and tick instead, and wakes the quiet followers of a leader whose
 *     node falls silent ({@code PeerSilence}), so they elect a new one as they would have without it
 */
public record ReplicaOptions(
    Duration tick,
    int electionTicks,
    int heartbeatTicks,
    int loopThreads,
    int maxPendingProposals,
    long snapshotEntries,
    int readTimeoutTicks,
    boolean leaseReads,
    long cacheBytes,
    SessionTable.Limits sessions,
    StorageOptions storage,
    long maxTransportBatchBytes,
    boolean quiesce) {

  public ReplicaOptions {
    Objects.requireNonNull(tick, "tick");
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(storage, "storage");
    if (tick.toMillis() < 1) {
      throw new IllegalArgumentException("tick must be at least 1 ms: " + tick);
    }
    if (heartbeatTicks < 1 || electionTicks <= heartbeatTicks) {
      throw new IllegalArgumentException("need 1 <= heartbeatTicks < electionTicks");
    }
    if (loopThreads < 1 || maxPendingProposals < 1 || snapshotEntries < 1 || readTimeoutTicks < 1) {
      throw new IllegalArgumentException("loopThreads, maxPendingProposals, snapshotEntries and "
          + "readTimeoutTicks must be positive");
    }
    if (maxTransportBatchBytes < 64 * 1024) {
      throw new IllegalArgumentException("maxTransportBatchBytes must be at least 64 KiB");
    }
  }

  /**
   * The lease's drift margin in ticks ({@code electionTicks / 5}, at least 1): the lease lasts
   * {@code electionTicks - maxClockDriftTicks} ticks, and a gap of more than this many ticks of real time
   * between two ticks of a worker voids its leases (see {@code RawNode.expireLease}).
   */
  public int maxClockDriftTicks() {
    return Math.max(1, electionTicks / 5);
  }

  /**
   * 100 ms ticks, 1 s election timeout, one loop thread, snapshots every 10,000 entries, 64 MiB cache,
   * idle groups quiet.
   */
  public static ReplicaOptions defaults() {
    return new ReplicaOptions(Duration.ofMillis(100), 10, 1, 1, 4096, 10_000, 30, false, 64L << 20,
        SessionTable.Limits.defaults(), StorageOptions.defaults(), 2L << 20, true);
  }

  public ReplicaOptions withTick(Duration v) {
    return new ReplicaOptions(v, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withElectionTicks(int v) {
    return new ReplicaOptions(tick, v, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withLoopThreads(int v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, v, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withMaxPendingProposals(int v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, v,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withSnapshotEntries(long v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        v, readTimeoutTicks, leaseReads, cacheBytes, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withLeaseReads(boolean v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, v, cacheBytes, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withCacheBytes(long v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, v, sessions, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withSessions(SessionTable.Limits v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, v, storage, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withStorage(StorageOptions v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, sessions, v, maxTransportBatchBytes, quiesce);
  }

  public ReplicaOptions withQuiesce(boolean v) {
    return new ReplicaOptions(tick, electionTicks, heartbeatTicks, loopThreads, maxPendingProposals,
        snapshotEntries, readTimeoutTicks, leaseReads, cacheBytes, sessions, storage, maxTransportBatchBytes, v);
  }
}
