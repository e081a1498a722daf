package io.kvstore.server.replica;

import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.ShardStatus;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The seam between the node's gRPC services and its shard replicas (the multi-Raft worker loop, storage
 * and the applied state machine behind it). The services validate, route, forward and merge; the
 * replicas order, persist, replicate and apply.
 *
 * <p>Contract:
 * <ul>
 *   <li>Thread-safe; every method returns at once (no blocking I/O on the caller's thread). Futures
 *       complete on a thread of the replicas, so callers must not block in their callbacks.</li>
 *   <li>A future from {@link #propose} completes successfully only after the command's log entry is
 *       durable on a quorum of the shard's replicas and applied on this node; the result is what the
 *       state machine computed when it applied the entry.</li>
 *   <li>Failures complete the future exceptionally with: {@link NotLeaderException} (this node's replica
 *       is not the leader; carries the known leader), {@link ShardUnavailableException} (no replica of
 *       the shard here, or it is stopped), {@link ProposalQueueFullException} (back-pressure), or
 *       {@link ResultUnknownException} (the entry may or may not have been committed, e.g. leadership was
 *       lost after proposing; a retry with the same client id and sequence is applied at most once).</li>
 * </ul>
 */
public interface ShardReplicas {

  /**
   * Proposes a write to the shard's Raft group through this node's replica, which must lead it.
   *
   * @param command a write: one of Put, Delete, CompareAndSwap, Txn or BatchPut (the entries of one
   *     shard), with its request header's client id and sequence for exactly-once application
   */
  CompletableFuture<io.kvstore.server.replica.CommandResult> propose(long shardId, Command command);

  /**
   * Completes with a view of the shard's applied data once a read at {@code consistency} may be served
   * from this replica: for LINEARIZABLE after a ReadIndex round (on the leader, or on a follower that asked
   * the leader) and once the replica has applied up to the read index; for LEASE while the leader holds a
   * valid lease; for STALE at once.
   */
  CompletableFuture<ReadView> read(long shardId, Consistency consistency);

  /** The ids of the shards that have a replica on this node. */
  List<Long> localShards();

  /** The status of this node's replica of a shard, if it has one. */
  Optional<ShardStatus> status(long shardId);

  /**
   * What this node believes about the shard's leader: its node id (0 when unknown) and term. A hint for
   * routing and forwarding, possibly stale.
   */
  LeaderHint leaderHint(long shardId);

  /**
   * This node's view of a shard's leases (the lease table, and deadlines while its replica leads); empty
   * when the node has no replica of the shard. For the Lease and Lock services.
   */
  default Optional<io.kvstore.server.lease.LeaseKeeper> leases(long shardId) {
    return Optional.empty();
  }

  /** This node's replica's recent changes of a shard, for the Watch service; empty without a replica. */
  default Optional<io.kvstore.server.watch.ChangeLog> changes(long shardId) {
    return Optional.empty();
  }

  /** The node's callers blocked in Lock.Acquire (lock.proto). */
  default io.kvstore.server.lock.LockWaiters lockWaiters() {
    throw new UnsupportedOperationException("these replicas serve no locks");
  }

  /**
   * Elastic membership: asks this node's replica of {@code shardId}, which must lead it, for one step of a
   * replica move (see internal.proto, ChangeReplicas). Completes with the membership the leader sees;
   * exceptionally with {@link NotLeaderException} or {@link ShardUnavailableException}.
   */
  default CompletableFuture<io.kvstore.server.proto.ShardMembership> changeReplicas(long shardId,
      io.kvstore.server.proto.ChangeReplicasRequest.Action action, long nodeId) {
    return CompletableFuture.failedFuture(new ShardUnavailableException("these replicas do not change membership"));
  }

  /**
   * Elastic membership: the cluster map changed. Creates the replicas it newly places on this node (empty:
   * they receive a snapshot from their leader) and drops those it no longer places here (with their data).
   * Returns at once; the work happens on the worker loops.
   *
   * @return false when some of it had to wait (a replica placed here again while its old data is still
   *     being deleted): call again later with the same map
   */
  default boolean reconcile(io.kvstore.proto.v1.ClusterMap map) {
    return true;
  }

  /** Bounds the snapshot bytes this node sends per second (0: no limit); see SnapshotBandwidth. */
  default void limitSnapshotBandwidth(long bytesPerSecond) {}
}
