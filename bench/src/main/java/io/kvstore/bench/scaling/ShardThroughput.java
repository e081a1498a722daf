package io.kvstore.bench.scaling;

import io.kvstore.bench.load.BenchTarget;
import io.kvstore.bench.load.KeySpace;
import io.kvstore.bench.load.LoadRun;
import io.kvstore.bench.load.ProgressListener;
import io.kvstore.bench.load.ReadConsistency;
import io.kvstore.bench.load.RoutingClientDriver;
import io.kvstore.bench.load.RunConfig;
import io.kvstore.bench.load.RunResult;
import io.kvstore.bench.load.UniformKeys;
import io.kvstore.bench.load.Workload;
import io.kvstore.client.KvClient;
import io.kvstore.ring.RoutingTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Throughput of one cluster size: a fresh 3-node cluster with {@code shards} shards, keys written once,
 * then workload W (puts) and C (linearizable reads) through the routing client, keys chosen uniformly so
 * that every shard gets requests. Reuses the load generator's closed loop ({@link LoadRun}).
 */
final class ShardThroughput {
  /** The load of every cluster size: identical across sizes so the throughputs compare. */
  record Settings(int keys, int valueSize, int inFlight, Duration warmup, Duration duration, NodeJvm jvm,
      long seed) {}

  /** One size's figures. {@code activeShards}: shards owning at least one of the run's keys. */
  record Result(int shards, int activeShards, RunResult write, RunResult read) {}

  static final int LOAD_IN_FLIGHT = 32;

  private ShardThroughput() {}

  static Result measure(Path dir, int shards, Settings s, ProgressListener progress, PrintStream progressLog)
      throws IOException, InterruptedException {
    try (NodeCluster cluster = new NodeCluster(dir, 3, shards, s.jvm())) {
      cluster.awaitLeaders(Duration.ofSeconds(120));
      KeySpace keys = new KeySpace(s.keys(), s.valueSize(), s.seed());
      int active = activeShards(cluster, keys);
      try (BenchTarget target = new BenchTarget("kvstore",
          List.of(new RoutingClientDriver(cluster.endpoints(), Duration.ofSeconds(30))), s.keys())) {
        // Loaded at most LOAD_IN_FLIGHT at a time: the exactly-once table keeps 64 results per client, and a
        // put retried (after a slow start) behind more than 64 newer ones of its client is refused for good.
        Loading.loadOrRetryOnce(target, keys, Math.min(s.inFlight(), LOAD_IN_FLIGHT), Duration.ofMinutes(10),
            s.seed(), progressLog);
        RunResult write = run(target, Workload.W, keys, s, progress);
        RunResult read = run(target, Workload.C, keys, s, progress);
        cluster.assertAlive();
        return new Result(shards, active, write, read);
      }
    }
  }

  private static RunResult run(BenchTarget target, Workload w, KeySpace keys, Settings s,
      ProgressListener progress) throws InterruptedException {
    RunConfig config = new RunConfig(w, ReadConsistency.LINEARIZABLE, s.inFlight(), s.warmup(), s.duration(),
        s.seed());
    return new LoadRun(target, config, keys, new UniformKeys(keys.keyCount()), progress).run();
  }

  /** How many shards own at least one key, by the cluster's own routing table. */
  private static int activeShards(NodeCluster cluster, KeySpace keys) {
    try (KvClient client = KvClient.builder().seeds(cluster.endpoints()).deadline(Duration.ofSeconds(30))
        .build()) {
      RoutingTable table = RoutingTable.of(client.blocking().clusterMap());
      Set<Long> shards = new HashSet<>();
      for (int i = 0; i < keys.keyCount(); i++) {
        shards.add(table.shardForKey(keys.key(i)).getId());
      }
      return shards.size();
    }
  }
}
