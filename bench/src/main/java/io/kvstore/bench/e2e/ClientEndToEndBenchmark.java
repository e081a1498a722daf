package io.kvstore.bench.e2e;

import com.google.protobuf.ByteString;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.server.replica.ReplicaOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Put and get through the Java client ({@code KvClient}: routing to each shard's leader) to a local
 * 3-node cluster that the benchmark starts itself in its own JVM ({@link InProcessCluster}: real Raft,
 * RocksDB with fsync in a temporary directory, gRPC on loopback ports 0) and stops at the end.
 *
 * <ul>
 *   <li>{@code put}, {@code get}: one request at a time (so the score is 1 / latency);</li>
 *   <li>{@code put16InFlight}, {@code get16InFlight}: 16 requests in flight from one thread, each
 *       invocation sends 16 and waits for all (the score counts requests).</li>
 * </ul>
 * Gets are linearizable (ReadIndex at the leader). Keys are drawn uniformly from {@code keys} keys of
 * {@code valueBytes} bytes, all written before measuring. The nodes share the machine (and this JVM)
 * with the client, as a local cluster does.
 *
 * <pre>
 * scripts/jmh ClientEndToEndBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Warm-up iterations of 5 s: the client's and the nodes' gRPC paths take a few seconds to compile.
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
// The nodes log through slf4j-simple to stderr: keep their INFO lines out of JMH's report.
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class ClientEndToEndBenchmark {

  /** The cluster and one client, for the whole trial. */
  @State(Scope.Benchmark)
  public static class Cluster {
    @Param({"8"})
    public int shards;

    @Param({"10000"})
    public int keys;

    @Param({"256"})
    public int valueBytes;

    InProcessCluster cluster;
    KvClient client;
    ByteString[] names;
    ByteString value;

    @Setup(Level.Trial)
    public void start() {
      cluster = new InProcessCluster(3, shards, ReplicaOptions.defaults(), Duration.ofMinutes(2));
      client = KvClient.builder().seeds(cluster.seeds()).deadline(Duration.ofSeconds(30)).build();
      byte[] v = new byte[valueBytes];
      new SplittableRandom(5).nextBytes(v);
      value = ByteString.copyFrom(v);
      names = new ByteString[keys];
      for (int i = 0; i < keys; i++) {
        names[i] = ByteString.copyFrom(String.format("user%010d", i), StandardCharsets.US_ASCII);
      }
      for (int from = 0; from < keys; from += 256) {
        List<CompletableFuture<PutResponse>> batch = new ArrayList<>();
        for (int i = from; i < Math.min(keys, from + 256); i++) {
          batch.add(client.put(names[i], value));
        }
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
      }
    }

    @TearDown(Level.Trial)
    public void stop() {
      if (client != null) {
        client.close();
      }
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /** Each benchmark thread's own key stream. */
  @State(Scope.Thread)
  public static class Keys {
    final SplittableRandom random = new SplittableRandom(Thread.currentThread().getId());

    ByteString next(Cluster c) {
      return c.names[random.nextInt(c.keys)];
    }
  }

  @Benchmark
  public PutResponse put(Cluster c, Keys k) {
    return c.client.put(k.next(c), c.value).join();
  }

  @Benchmark
  public GetResponse get(Cluster c, Keys k) {
    return c.client.get(k.next(c), Consistency.CONSISTENCY_LINEARIZABLE).join();
  }

  @Benchmark
  @OperationsPerInvocation(16)
  public Object put16InFlight(Cluster c, Keys k) {
    CompletableFuture<?>[] inFlight = new CompletableFuture<?>[16];
    for (int i = 0; i < inFlight.length; i++) {
      inFlight[i] = c.client.put(k.next(c), c.value);
    }
    return CompletableFuture.allOf(inFlight).join();
  }

  @Benchmark
  @OperationsPerInvocation(16)
  public Object get16InFlight(Cluster c, Keys k) {
    CompletableFuture<?>[] inFlight = new CompletableFuture<?>[16];
    for (int i = 0; i < inFlight.length; i++) {
      inFlight[i] = c.client.get(k.next(c), Consistency.CONSISTENCY_LINEARIZABLE);
    }
    return CompletableFuture.allOf(inFlight).join();
  }
}
