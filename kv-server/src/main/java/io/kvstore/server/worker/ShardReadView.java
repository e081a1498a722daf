package io.kvstore.server.worker;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.server.cache.HotValueCache;
import io.kvstore.server.replica.ReadView;
import io.kvstore.server.statemachine.StoredValue;
import io.kvstore.storage.NodeStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;

/**
 * A read of one shard's applied data: point reads through the hot-value cache, scans from RocksDB. The
 * data read is the latest applied, which is at least {@link #appliedIndex()} (what the read waited for).
 * Thread-safe; blocks on local disk.
 */
final class ShardReadView implements ReadView {
  private final NodeStore store;
  private final HotValueCache cache;
  private final long shardId;
  private final long appliedIndex;
  private final long term;
  private final Lock installing;

  /**
   * @param installing held (shared) during each read, so no read sees a shard half-replaced by a
   *     snapshot install (which holds it exclusively)
   */
  ShardReadView(NodeStore store, HotValueCache cache, long shardId, long appliedIndex, long term,
      Lock installing) {
    this.installing = installing;
    this.store = store;
    this.cache = cache;
    this.shardId = shardId;
    this.appliedIndex = appliedIndex;
    this.term = term;
  }

  /** The applied value of a key through the cache (null when absent); also the state machine's reader. */
  static StoredValue read(NodeStore store, HotValueCache cache, long shardId, ByteString key) {
    return cache.get(shardId, key, k -> {
      byte[] raw = store.get(shardId, k.toByteArray());
      return raw == null ? null : StoredValue.decode(raw);
    });
  }

  @Override
  public long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public long term() {
    return term;
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    ByteString k = ByteString.copyFrom(key);
    installing.lock();
    try {
      StoredValue v = read(store, cache, shardId, k);
      return v == null ? Optional.empty() : Optional.of(v.toKeyValue(k, false));
    } finally {
      installing.unlock();
    }
  }

  @Override
  public List<KeyValue> scan(byte[] start, byte[] end, int limit, boolean keysOnly) {
    List<io.kvstore.storage.KeyValue> raw;
    installing.lock();
    try {
      raw = store.scan(shardId, start, end, limit);
    } finally {
      installing.unlock();
    }
    List<KeyValue> out = new ArrayList<>(raw.size());
    for (io.kvstore.storage.KeyValue kv : raw) {
      out.add(StoredValue.decode(kv.value()).toKeyValue(ByteString.copyFrom(kv.key()), keysOnly));
    }
    return out;
  }
}
