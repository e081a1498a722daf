package io.kvstore.server.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.server.statemachine.KvStateMachine;
import io.kvstore.server.statemachine.StoredValue;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HotValueCacheTest {
  private static final ByteString K = ByteString.copyFromUtf8("k");

  private static StoredValue v(String value, long version) {
    return new StoredValue(ByteString.copyFromUtf8(value), version, 1);
  }

  @Test
  void aLoadedValueIsServedFromTheCacheUntilAWriteReplacesIt() {
    HotValueCache cache = new HotValueCache(1 << 20);
    AtomicInteger loads = new AtomicInteger();
    AtomicReference<StoredValue> disk = new AtomicReference<>(v("a", 2));
    assertThat(cache.get(1, K, k -> { loads.incrementAndGet(); return disk.get(); }).version()).isEqualTo(2);
    assertThat(cache.get(1, K, k -> { loads.incrementAndGet(); return disk.get(); }).version()).isEqualTo(2);
    assertThat(loads).hasValue(1);
    assertThat(cache.hits()).isEqualTo(1);
    assertThat(cache.misses()).isEqualTo(1);

    cache.beginWrite(1);
    disk.set(v("b", 5));
    cache.endWrite(1, Map.of(K, v("b", 5)));
    assertThat(cache.get(1, K, k -> { throw new AssertionError("served from the cache"); }).version()).isEqualTo(5);

    cache.beginWrite(1);
    disk.set(null);
    cache.endWrite(1, Map.of(K, KvStateMachine.TOMBSTONE));
    assertThat(cache.get(1, K, k -> { throw new AssertionError("absence is cached too"); })).isNull();
    // Shards do not share entries.
    assertThat(cache.get(2, K, k -> v("other", 9)).version()).isEqualTo(9);
  }

  @Test
  void aValueLoadedBeforeAWriteIsNotCachedAfterIt() {
    // The race: a reader misses and reads the old value from disk; meanwhile the applying thread writes a
    // new value, puts it in the cache, and the cache evicts it; then the reader offers the old value.
    HotValueCache cache = new HotValueCache(1 << 20);
    AtomicReference<StoredValue> disk = new AtomicReference<>(v("old", 2));
    StoredValue seen = cache.get(1, K, k -> {
      StoredValue read = disk.get();
      cache.beginWrite(1);
      disk.set(v("new", 7));
      cache.endWrite(1, Map.of(K, v("new", 7)));
      cache.invalidateShard(1); // as if evicted
      return read;
    });
    assertThat(seen.version()).isEqualTo(2);
    // The old value was not cached: the next read loads again and sees the new one.
    assertThat(cache.get(1, K, k -> disk.get()).version()).isEqualTo(7);
  }

  @Test
  void aLoadThatStartedDuringAWriteIsNotCached() {
    HotValueCache cache = new HotValueCache(1 << 20);
    cache.beginWrite(1);
    cache.get(1, K, k -> v("during", 3));
    cache.endWrite(1, Map.of());
    AtomicInteger loads = new AtomicInteger();
    cache.get(1, K, k -> { loads.incrementAndGet(); return v("after", 4); });
    assertThat(loads).hasValue(1);
  }

  @Test
  void theCacheIsBoundedBySize() {
    HotValueCache cache = new HotValueCache(64 * 1024);
    for (int i = 0; i < 10_000; i++) {
      int n = i;
      cache.get(1, ByteString.copyFromUtf8("key" + i), k -> v("x".repeat(100) + n, n));
    }
    cache.cleanUp();
    assertThat(cache.estimatedSize()).isLessThan(1_000);
  }
}
