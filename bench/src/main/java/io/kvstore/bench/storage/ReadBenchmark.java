package io.kvstore.bench.storage;

import io.kvstore.storage.Durability;
import io.kvstore.storage.KeyValue;
import io.kvstore.storage.NodeStore;
import io.kvstore.storage.StorageOptions;
import io.kvstore.storage.StoreBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Reads of applied data: point reads of random keys of one shard ({@code get}, one thread), and scans of
 * 100 consecutive keys from a random start ({@code scan100}), over {@code keys} keys of 100-byte values
 * in shard 7 among 8 loaded shards (about 190 MB, well past the 64 MiB memtable budget, so most reads
 * go to SST files through the block cache).
 *
 * <pre>
 * java -cp bench/target/classes:bench/target/lib/* org.openjdk.jmh.Main ReadBenchmark -f1 -wi 2 -i 3
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@State(Scope.Benchmark)
public class ReadBenchmark {
  private static final long SHARD = 7;

  @Param({"200000"})
  public int keys;

  private Path dir;
  private NodeStore store;
  private final SplittableRandom random = new SplittableRandom(42);

  @Setup(Level.Trial)
  public void load() throws IOException {
    String base = System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"));
    dir = Files.createTempDirectory(Path.of(base), "kvstore-read-");
    store = NodeStore.open(dir, 1, "bench", StorageOptions.defaults());
    byte[] value = new byte[100];
    new java.util.Random(3).nextBytes(value);
    for (long shard = 1; shard <= 8; shard++) {
      for (int from = 0; from < keys; from += 10_000) {
        StoreBatch b = store.newBatch();
        for (int i = from; i < Math.min(keys, from + 10_000); i++) {
          b.put(shard, key(i), value);
        }
        store.write(b, Durability.NO_SYNC);
      }
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

  private static byte[] key(int i) {
    return String.format("user:%08d", i).getBytes(StandardCharsets.US_ASCII);
  }

  @Benchmark
  public byte[] get() {
    return store.get(SHARD, key(random.nextInt(keys)));
  }

  @Benchmark
  public List<KeyValue> scan100() {
    int start = random.nextInt(keys);
    return store.scan(SHARD, key(start), null, 100);
  }

  @Benchmark
  public byte[] getMissing() {
    return store.get(SHARD, ("absent:" + random.nextInt(keys)).getBytes(StandardCharsets.US_ASCII));
  }
}
