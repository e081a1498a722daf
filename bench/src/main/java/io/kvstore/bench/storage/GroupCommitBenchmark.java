package io.kvstore.bench.storage;

import com.google.protobuf.ByteString;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.SnapshotMetadata;
import io.kvstore.storage.Durability;
import io.kvstore.storage.NodeStore;
import io.kvstore.storage.StorageOptions;
import io.kvstore.storage.StoreBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
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
 * Appending one entry to each of N groups, as the worker loop does each round: with one synced write per
 * group ({@code perGroupSync}) or with all groups in one batch and one sync ({@code groupCommit}). One
 * benchmark operation is one round (N entries). The secondary results {@code entries} and {@code fsyncs}
 * are per second, so the two modes read side by side for 1, 16 and 64 groups:
 *
 * <pre>
 * java -cp bench/target/classes:bench/target/lib/* org.openjdk.jmh.Main GroupCommitBenchmark -f1 -wi 2 -i 3
 * </pre>
 *
 * The store lives in a temporary directory on the same disk as {@code java.io.tmpdir} (override with
 * {@code -Dbench.dir=...}); each iteration compacts the logs so they do not grow without bound.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@State(Scope.Benchmark)
public class GroupCommitBenchmark {

  @Param({"1", "16", "64"})
  public int groups;

  /** Payload bytes per entry (a small KV put). */
  @Param({"256"})
  public int entryBytes;

  private Path dir;
  private NodeStore store;
  private long[] next;
  private ByteString payload;

  /** Per-second counters JMH reports next to the round rate. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    public long entries;
    public long fsyncs;
  }

  @Setup(Level.Trial)
  public void open() throws IOException {
    String base = System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"));
    dir = Files.createTempDirectory(Path.of(base), "kvstore-groupcommit-");
    store = NodeStore.open(dir, 1, "bench", StorageOptions.defaults());
    next = new long[groups + 1];
    java.util.Arrays.fill(next, 1);
    byte[] b = new byte[entryBytes];
    new java.util.Random(1).nextBytes(b);
    payload = ByteString.copyFrom(b);
  }

  /** Commits, applies and compacts everything written, so each iteration starts from short logs. */
  @Setup(Level.Iteration)
  public void compact() {
    StoreBatch b = store.newBatch();
    for (int g = 1; g <= groups; g++) {
      long last = next[g] - 1;
      if (last > 0) {
        b.setHardState(g, HardState.newBuilder().setTerm(1).setCommit(last).build());
        b.setApplied(g, last, 1).compactLog(g, SnapshotMetadata.newBuilder().setIndex(last).setTerm(1).build());
      }
    }
    store.write(b, Durability.SYNC);
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

  private Entry entry(int group) {
    long index = next[group]++;
    return Entry.newBuilder().setTerm(1).setIndex(index).setData(payload).build();
  }

  @Benchmark
  public void perGroupSync(Counters c) {
    for (int g = 1; g <= groups; g++) {
      StoreBatch b = store.newBatch().append(g, List.of(entry(g)));
      store.write(b, Durability.SYNC);
    }
    c.entries += groups;
    c.fsyncs += groups;
  }

  @Benchmark
  public void groupCommit(Counters c) {
    StoreBatch b = store.newBatch();
    for (int g = 1; g <= groups; g++) {
      b.append(g, List.of(entry(g)));
    }
    store.write(b, Durability.SYNC);
    c.entries += groups;
    c.fsyncs += 1;
  }
}
