package io.kvstore.bench.cache;

import com.google.protobuf.ByteString;
import io.kvstore.bench.load.KeyChooser;
import io.kvstore.bench.load.UniformKeys;
import io.kvstore.bench.load.ZipfianKeys;
import io.kvstore.server.cache.HotValueCache;
import io.kvstore.server.statemachine.StoredValue;
import io.kvstore.storage.Durability;
import io.kvstore.storage.NodeStore;
import io.kvstore.storage.StorageOptions;
import io.kvstore.storage.StoreBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The node's read path for a point read (kv-server: {@code HotValueCache.get} in front of RocksDB, as
 * {@code ShardReadView.read} does it), on one thread:
 *
 * <ul>
 *   <li>{@code cacheHit}: a key the cache holds (a lookup in Caffeine, nothing else);</li>
 *   <li>{@code rocksDbRead}: the miss path without the cache (RocksDB get and decoding the stored value),
 *       over keys spread uniformly, so most reads leave the memtable for SST blocks;</li>
 *   <li>{@code readThroughCache}: the whole path over a key stream drawn {@code zipfian} (YCSB's theta
 *       0.99) or {@code uniform}, with a cache that has room for {@code cachePercent}% of the keys, filled
 *       by {@code keys} reads of the same stream before measuring; the hit ratio is printed after every
 *       iteration and counted ({@code hits}, {@code misses}: per second, so hits / (hits + misses) is
 *       the ratio of the measured iterations).</li>
 * </ul>
 *
 * <p>{@code keys} keys of 256-byte values in one shard ({@code keys} × ~300 bytes: past the 64 MiB
 * memtable budget at the default 500,000, so misses reach SST files through the block cache).
 *
 * <pre>
 * scripts/jmh CacheReadBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(1)
public class CacheReadBenchmark {
  static final long SHARD = 1;
  static final int VALUE_BYTES = 256;

  /** The node's store, loaded once per trial. */
  @State(Scope.Benchmark)
  public static class Data {
    @Param({"500000"})
    public int keys;

    Path dir;
    NodeStore store;
    /** Every key, made once: the benchmarks time reads, not key formatting. */
    ByteString[] names;

    @Setup(Level.Trial)
    public void load() throws IOException {
      String base = System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"));
      dir = Files.createTempDirectory(Path.of(base), "kvstore-cache-");
      store = NodeStore.open(dir, 1, "bench", StorageOptions.defaults());
      names = new ByteString[keys];
      for (int i = 0; i < keys; i++) {
        names[i] = key(i);
      }
      byte[] value = new byte[VALUE_BYTES];
      new java.util.Random(3).nextBytes(value);
      for (int from = 0; from < keys; from += 10_000) {
        StoreBatch b = store.newBatch();
        for (int i = from; i < Math.min(keys, from + 10_000); i++) {
          b.put(SHARD, names[i].toByteArray(), new StoredValue(ByteString.copyFrom(value), i + 1, i + 1).encode());
        }
        store.write(b, Durability.NO_SYNC);
      }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      store.close();
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }

    /** The node's read: cache first, RocksDB on a miss (the loader of {@code ShardReadView.read}). */
    StoredValue read(HotValueCache cache, ByteString key) {
      return cache.get(SHARD, key, k -> load(k));
    }

    StoredValue load(ByteString key) {
      byte[] raw = store.get(SHARD, key.toByteArray());
      return raw == null ? null : StoredValue.decode(raw);
    }
  }

  /** A cache that holds {@code HOT} keys, every one read once before measuring. */
  @State(Scope.Thread)
  public static class HotSet {
    static final int HOT = 1_000;
    HotValueCache cache;
    ByteString[] hot;
    final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void fill(Data data) {
      cache = new HotValueCache(64L << 20);
      hot = new ByteString[HOT];
      for (int i = 0; i < HOT; i++) {
        hot[i] = data.names[i * (data.keys / HOT)];
        data.read(cache, hot[i]);
      }
    }
  }

  /** The key stream and a cache with room for {@code cachePercent}% of the keys, empty at the start. */
  @State(Scope.Thread)
  public static class KeyStream {
    @Param({"zipfian", "uniform"})
    public String distribution;

    @Param({"10"})
    public int cachePercent;

    HotValueCache cache;
    KeyChooser chooser;
    final SplittableRandom random = new SplittableRandom(11);
    /** Set by {@link #loader}: the read missed the cache. */
    boolean loaded;
    java.util.function.Function<ByteString, StoredValue> loader;
    private long hitsBefore;
    private long missesBefore;

    @Setup(Level.Trial)
    public void create(Data data) {
      chooser = switch (distribution) {
        case "zipfian" -> new ZipfianKeys(data.keys, ZipfianKeys.DEFAULT_THETA);
        case "uniform" -> new UniformKeys(data.keys);
        default -> throw new IllegalArgumentException("distribution: zipfian or uniform, got " + distribution);
      };
      // StoredValue.weight(): the value plus 64 bytes of bookkeeping; the key adds its own bytes.
      long perEntry = key(0).size() + VALUE_BYTES + 64;
      cache = new HotValueCache(data.keys * (long) cachePercent / 100 * perEntry);
      loader = k -> {
        loaded = true;
        return data.load(k);
      };
      // Fill the cache with the stream itself first (as many reads as keys): the ratio measured is the
      // steady state, not the climb of a cold cache.
      for (int i = 0; i < data.keys; i++) {
        cache.get(SHARD, data.names[chooser.next(random)], loader);
      }
    }

    @Setup(Level.Iteration)
    public void mark() {
      hitsBefore = cache.hits();
      missesBefore = cache.misses();
    }

    @TearDown(Level.Iteration)
    public void report() {
      long h = cache.hits() - hitsBefore;
      long m = cache.misses() - missesBefore;
      System.out.printf("%n  hot-value cache, %s keys over %d, room for %d%%: hit ratio %.3f (%d hits, %d"
          + " misses)%n", chooser.describe(), chooser.keyCount(), cachePercent,
          h + m == 0 ? 0.0 : (double) h / (h + m), h, m);
    }
  }

  /** Hits and misses of {@code readThroughCache}, reported by JMH per second next to its score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Outcomes {
    public long hits;
    public long misses;

    @Setup(Level.Iteration)
    public void reset() {
      hits = 0;
      misses = 0;
    }
  }

  static ByteString key(int i) {
    return ByteString.copyFrom(String.format("user:%08d", i), StandardCharsets.US_ASCII);
  }

  @Benchmark
  public StoredValue cacheHit(Data data, HotSet hot) {
    return data.read(hot.cache, hot.hot[hot.random.nextInt(HotSet.HOT)]);
  }

  @Benchmark
  public StoredValue rocksDbRead(Data data, HotSet hot) {
    return data.load(data.names[hot.random.nextInt(data.keys)]);
  }

  @Benchmark
  public StoredValue readThroughCache(Data data, KeyStream stream, Outcomes outcomes) {
    stream.loaded = false;
    StoredValue v = stream.cache.get(SHARD, data.names[stream.chooser.next(stream.random)], stream.loader);
    if (stream.loaded) {
      outcomes.misses++;
    } else {
      outcomes.hits++;
    }
    return v;
  }
}
