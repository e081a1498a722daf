/**
 * The multi-Raft engine of a node: {@link io.kvstore.server.worker.RaftWorker} loops, each driving a fixed
 * set of {@link io.kvstore.server.worker.GroupReplica}s (one per shard replica) through the Raft core's
 * {@code Ready} cycle with group commit (one synced RocksDB batch per round for all its groups) and
 * per-peer message batching. Entry point for the rest of the node: {@code replica.NodeReplicas}.
 *
 * <p>Threading, in one place: a group is touched only by its worker's thread; other threads reach it
 * through the worker's mailbox; callers' futures complete on the node's callback pool; reads of applied
 * data ({@link io.kvstore.server.worker.ShardReadView}) run on the caller's thread.
 */
package io.kvstore.server.worker;
