package io.kvstore.bench.scaling;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.ClusterMap;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU of nodes holding many idle shards: 3 nodes, {@code shards} shards, no client traffic. Once every
 * shard has a leader and a settle time has passed, each node's utime+stime is read from /proc at the start
 * and end of a window. Also asks for the cluster map through the routing client, as any client would, and
 * records how that went (a large map may exceed gRPC's default 4 MiB inbound message limit).
 */
final class IdleCpu {
  /**
   * @param coreSharePerNode CPU used by each node over the window, in cores (0.05 = 5% of one core)
   * @param jitSharePerNode the part of it spent by the JVM's JIT compiler threads (a fresh JVM compiles
   *     for minutes on 2 cores, and code that runs only a few times a second reaches the thresholds late)
   * @param clientMap what fetching the cluster map through {@link KvClient} gave: its size, or the failure
   * @param nodeLogMessageSizeErrors per node, log lines mentioning gRPC's message size limit
   */
  record Result(int shards, double settleSeconds, double windowSeconds, List<Double> coreSharePerNode,
      List<Double> jitSharePerNode, String clientMap, List<Long> nodeLogMessageSizeErrors) {}

  private IdleCpu() {}

  static Result measure(Path dir, int shards, Duration settle, Duration window, NodeJvm jvm)
      throws IOException, InterruptedException {
    try (NodeCluster cluster = new NodeCluster(dir, 3, shards, jvm)) {
      long start = System.nanoTime();
      cluster.awaitLeaders(Duration.ofMinutes(10));
      String clientMap = fetchMap(cluster);
      Thread.sleep(settle.toMillis());
      double settled = (System.nanoTime() - start) / 1e9;
      long[] before = new long[cluster.size()];
      long[] jitBefore = new long[cluster.size()];
      for (int id = 1; id <= cluster.size(); id++) {
        before[id - 1] = ProcStat.cpuTicks(cluster.pid(id));
        jitBefore[id - 1] = ProcStat.compilerTicks(cluster.pid(id));
      }
      long t0 = System.nanoTime();
      Thread.sleep(window.toMillis());
      List<Double> shares = new ArrayList<>();
      List<Double> jit = new ArrayList<>();
      double seconds = (System.nanoTime() - t0) / 1e9;
      for (int id = 1; id <= cluster.size(); id++) {
        shares.add(ProcStat.coreShare(before[id - 1], ProcStat.cpuTicks(cluster.pid(id)), seconds));
        jit.add(ProcStat.coreShare(jitBefore[id - 1], ProcStat.compilerTicks(cluster.pid(id)), seconds));
      }
      cluster.assertAlive();
      List<Long> sizeErrors = new ArrayList<>();
      for (int id = 1; id <= cluster.size(); id++) {
        sizeErrors.add(cluster.logLinesContaining(id, "RESOURCE_EXHAUSTED")
            + cluster.logLinesContaining(id, "larger than max"));
      }
      return new Result(shards, settled, seconds, shares, jit, clientMap, sizeErrors);
    }
  }

  private static String fetchMap(NodeCluster cluster) {
    try (KvClient client = KvClient.builder().seeds(cluster.endpoints()).deadline(Duration.ofSeconds(30))
        .build()) {
      ClusterMap map = client.blocking().clusterMap();
      return "ok: " + map.getShardsCount() + " shards, " + map.getSerializedSize() + " bytes";
    } catch (RuntimeException e) {
      String m = String.valueOf(e.getMessage());
      Throwable c = e.getCause();
      while (c != null) {
        m += " / " + c.getClass().getSimpleName() + ": " + c.getMessage();
        c = c.getCause();
      }
      return "FAILED: " + e.getClass().getSimpleName() + ": " + m;
    }
  }
}
