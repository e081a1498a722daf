package io.kvstore.server.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import io.kvstore.server.statemachine.KvStateMachine;
import io.kvstore.server.statemachine.StoredValue;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * A bounded Caffeine cache of hot values (and of known-absent keys) in front of RocksDB, shared by every
 * shard of the node.
 *
 * <p>The rule it keeps: <b>it never serves a value the state machine has moved past.</b> Only two paths
 * change it:
 * <ul>
 *   <li>The applying thread, after it wrote a batch, puts each written key's new value (or "absent")
 *       — {@link #beginWrite}, write the batch, {@link #endWrite}.</li>
 *   <li>A reader that missed loads from RocksDB and offers what it read. The offer is taken only if no
 *       write of that shard began since the reader started loading: every shard has a sequence counter
 *       that is odd while a write is in progress (a seqlock). The check and the insert happen inside the
 *       map's per-key lock, which the applying thread's put for that key also takes, so a value loaded
 *       before a write can never land after the write's put, even when the cache evicted that put.</li>
 * </ul>
 * A snapshot install replaces a shard's data wholesale: {@link #invalidateShard} between begin and end.
 *
 * <p>Thread-safe. {@link #get} runs on reader threads; begin/end/invalidate on the thread that applies
 * the shard.
 */
public final class HotValueCache {
  private static final StoredValue ABSENT = new StoredValue(ByteString.EMPTY, 0, 0);

  private record Key(long shardId, ByteString key) {}

  private final Cache<Key, StoredValue> cache;
  private final Map<Long, AtomicLong> writeSeq = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  /** A cache holding at most about {@code maxBytes} of keys and values (0: caching off). */
  public HotValueCache(long maxBytes) {
    this.cache = Caffeine.newBuilder()
        .maximumWeight(Math.max(0, maxBytes))
        .<Key, StoredValue>weigher((k, v) -> k.key().size() + v.weight())
        .build();
  }

  /**
   * The key's applied value (null when absent), from the cache or else from {@code load} (RocksDB).
   * {@code load} must read the latest applied state.
   */
  public StoredValue get(long shardId, ByteString key, Function<ByteString, StoredValue> load) {
    Key k = new Key(shardId, key);
    StoredValue v = cache.getIfPresent(k);
    if (v != null) {
      hits.increment();
      return v == ABSENT ? null : v;
    }
    misses.increment();
    AtomicLong seq = seq(shardId);
    long before = seq.get();
    StoredValue loaded = load.apply(key);
    if ((before & 1) == 0) {
      StoredValue offer = loaded == null ? ABSENT : loaded;
      cache.asMap().compute(k, (kk, cur) -> cur != null ? cur : seq.get() == before ? offer : null);
    }
    return loaded;
  }

  /** Call before writing a batch that changes the shard's data. */
  public void beginWrite(long shardId) {
    seq(shardId).incrementAndGet();
  }

  /**
   * Call after the batch was written (or failed: pass no changes), with the keys it wrote and their new
   * values ({@link KvStateMachine#TOMBSTONE} for a delete).
   */
  public void endWrite(long shardId, Map<ByteString, StoredValue> changes) {
    for (Map.Entry<ByteString, StoredValue> e : changes.entrySet()) {
      Key k = new Key(shardId, e.getKey());
      if (e.getValue() == KvStateMachine.TOMBSTONE) {
        cache.put(k, ABSENT);
      } else {
        cache.put(k, e.getValue());
      }
    }
    seq(shardId).incrementAndGet();
  }

  /** Drops every cached key of a shard; call between {@link #beginWrite} and {@link #endWrite}. */
  public void invalidateShard(long shardId) {
    cache.asMap().keySet().removeIf(k -> k.shardId() == shardId);
  }

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  /** Hits over lookups since start (0 before the first lookup). */
  public double hitRatio() {
    long h = hits.sum();
    long total = h + misses.sum();
    return total == 0 ? 0 : (double) h / total;
  }

  /** Runs pending evictions now (tests). */
  void cleanUp() {
    cache.cleanUp();
  }

  public long estimatedSize() {
    return cache.estimatedSize();
  }

  private AtomicLong seq(long shardId) {
    return writeSeq.computeIfAbsent(shardId, id -> new AtomicLong());
  }
}
