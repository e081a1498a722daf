package io.kvstore.bench.scaling;

import io.kvstore.bench.load.BenchTarget;
import io.kvstore.bench.load.KeySpace;
import io.kvstore.bench.load.RoutingClientDriver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Resident memory of nodes holding {@code values} values: 3 nodes with the default shard count, every key
 * written once through the routing client, then each node's VmRSS and data directory size.
 */
final class ResidentMemory {
  record Result(int values, int valueSize, int shards, String heap, double loadSeconds,
      List<Long> rssBytesPerNode, List<Long> dataBytesPerNode) {}

  private ResidentMemory() {}

  static Result measure(Path dir, int values, int valueSize, int shards, int inFlight, String heap,
      Duration loadTimeout, PrintStream progressLog) throws IOException, InterruptedException {
    try (NodeCluster cluster = new NodeCluster(dir, 3, shards, heap)) {
      cluster.awaitLeaders(Duration.ofSeconds(120));
      KeySpace keys = new KeySpace(values, valueSize, 7);
      long t0 = System.nanoTime();
      try (BenchTarget target = new BenchTarget("kvstore",
          List.of(new RoutingClientDriver(cluster.endpoints(), Duration.ofSeconds(30))), values)) {
        Loading.loadOrRetryOnce(target, keys, inFlight, loadTimeout, 7, progressLog);
      }
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      // Let the nodes finish applying and flushing what the load left queued.
      Thread.sleep(5000);
      cluster.assertAlive();
      List<Long> rss = new ArrayList<>();
      List<Long> data = new ArrayList<>();
      for (int id = 1; id <= cluster.size(); id++) {
        rss.add(ProcStat.residentBytes(cluster.pid(id)));
        data.add(directoryBytes(dir.resolve("node-" + id)));
      }
      return new Result(values, valueSize, shards, heap, loadSeconds, rss, data);
    }
  }

  static long directoryBytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0; // a RocksDB file deleted while walking
        }
      }).sum();
    }
  }
}
