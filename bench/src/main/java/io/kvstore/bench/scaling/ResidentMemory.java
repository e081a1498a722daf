package io.kvstore.bench.scaling;

import io.kvstore.bench.load.KeySpace;
import io.kvstore.client.KvClient;
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
  /** @param loadFailure empty, or why the loader refused the load (how many puts failed, the first error) */
  record Result(int values, int valueSize, int shards, String heap, double loadSeconds,
      List<Long> rssBytesPerNode, List<Long> dataBytesPerNode, String loadFailure) {}

  private ResidentMemory() {}

  static Result measure(Path dir, int values, int valueSize, int shards, int inFlight, NodeJvm jvm,
      Duration loadTimeout, PrintStream progressLog) throws IOException, InterruptedException {
    try (NodeCluster cluster = new NodeCluster(dir, 3, shards, jvm)) {
      cluster.awaitLeaders(Duration.ofSeconds(120));
      KeySpace keys = new KeySpace(values, valueSize, 7);
      long t0 = System.nanoTime();
      String loadFailure = "";
      try (KvClient client = KvClient.builder().seeds(cluster.endpoints()).deadline(Duration.ofSeconds(30))
          .build()) {
        BulkLoad.Outcome o = BulkLoad.load(client, keys, inFlight, loadTimeout);
        if (o.failed() > 0 || !o.finished()) {
          loadFailure = o.written() + " of " + values + " puts succeeded, " + o.failed() + " failed"
              + (o.finished() ? "" : ", the load ran out of its " + loadTimeout.toSeconds() + " s")
              + (o.failed() > 0 ? "; the first failure: " + o.firstFailure() : "");
          progressLog.println("  " + loadFailure);
        }
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
      return new Result(values, valueSize, shards, jvm.heap(), loadSeconds, rss, data, loadFailure);
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
