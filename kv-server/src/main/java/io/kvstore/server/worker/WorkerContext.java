package io.kvstore.server.worker;

import io.kvstore.server.cache.HotValueCache;
import io.kvstore.server.lock.LockWaiters;
import io.kvstore.server.replica.ReplicaOptions;
import io.kvstore.storage.NodeStore;
import java.util.concurrent.Executor;

/**
 * What every group and worker of a node shares.
 *
 * @param callbacks where futures handed to callers are completed, so a caller's callback can never stall
 *     a worker loop
 * @param lockWaiters callers blocked in Lock.Acquire on this node, told of hand-offs after apply
 * @param snapshotBandwidth the node's budget of snapshot bytes per second (replica moves, lagging followers)
 * @param logRetention the node's applied, uncompacted Raft log against its budget (when groups compact early)
 */
public record WorkerContext(
    long nodeId,
    ReplicaOptions options,
    NodeStore store,
    HotValueCache cache,
    NodeMetrics metrics,
    Executor callbacks,
    LockWaiters lockWaiters,
    SnapshotBandwidth snapshotBandwidth,
    LogRetention logRetention) {}
