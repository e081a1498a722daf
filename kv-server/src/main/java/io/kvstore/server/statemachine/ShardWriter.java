package io.kvstore.server.statemachine;

/**
 * Where the state machine puts one shard's changes while applying: the worker loop's apply batch (a
 * storage {@code StoreBatch}), written atomically with the shard's applied index. Nothing is visible to
 * readers until the batch is written. Called only from the thread that applies the shard.
 */
public interface ShardWriter {
  void put(byte[] key, byte[] value);

  void delete(byte[] key);

  /** A shard system record (the exactly-once table); travels with the shard's snapshots. */
  void putSystem(byte[] key, byte[] value);

  void deleteSystem(byte[] key);
}
