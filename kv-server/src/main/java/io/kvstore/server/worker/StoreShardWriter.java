package io.kvstore.server.worker;

import io.kvstore.server.statemachine.ShardWriter;
import io.kvstore.storage.StoreBatch;

/** The state machine's writes of one shard, into the round's apply batch. */
final class StoreShardWriter implements ShardWriter {
  private final StoreBatch batch;
  private final long shardId;

  StoreShardWriter(StoreBatch batch, long shardId) {
    this.batch = batch;
    this.shardId = shardId;
  }

  @Override
  public void put(byte[] key, byte[] value) {
    batch.put(shardId, key, value);
  }

  @Override
  public void delete(byte[] key) {
    batch.delete(shardId, key);
  }

  @Override
  public void putSystem(byte[] key, byte[] value) {
    batch.putSystem(shardId, key, value);
  }

  @Override
  public void deleteSystem(byte[] key) {
    batch.deleteSystem(shardId, key);
  }
}
