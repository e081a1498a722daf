package io.kvstore.bench.scaling;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The Markdown report of a scaling run: context lines, then one table per measurement that ran (a null
 * result is a measurement not asked for), each with its target and whether it was met.
 */
final class ScalingReport {
  /** The target of the 64-shard / 1-shard throughput ratio. */
  static final double RATIO_TARGET = 0.8;
  /** The target of an idle node's CPU, in cores. */
  static final double IDLE_CPU_TARGET = 0.05;
  static final double FAILOVER_P50_TARGET_MS = 1000;
  static final double FAILOVER_MAX_TARGET_MS = 2000;

  private ScalingReport() {}

  static String render(List<String> context, List<ShardThroughput.Result> throughput, IdleCpu.Result idle,
      ResidentMemory.Result memory, Failover.Result failover) {
    StringBuilder b = new StringBuilder("# kvstore scaling\n\n");
    for (String line : context) {
      b.append("- ").append(line).append('\n');
    }
    if (!throughput.isEmpty()) {
      ShardThroughput.Result first = throughput.get(0);
      b.append("\n## Throughput by shard count (3 nodes; ")
          .append(first.write().keyCount()).append(" keys, uniform; ")
          .append(first.write().valueSize()).append("-byte values; ")
          .append(first.write().config().inFlight()).append(" in flight; ")
          .append(first.write().config().duration().toSeconds()).append(" s measured after ")
          .append(first.write().config().warmup().toSeconds()).append(" s warm-up; linearizable reads)\n\n")
          .append("| shards | active shards | W ops/s | W p99 ms | W errors | C ops/s | C p99 ms | C errors |\n")
          .append("|--:|--:|--:|--:|--:|--:|--:|--:|\n");
      for (ShardThroughput.Result r : throughput) {
        b.append("| ").append(r.shards()).append(" | ").append(r.activeShards())
            .append(" | ").append(ops(r.write().throughput())).append(" | ").append(ms(r.write().latency().p99Ms()))
            .append(" | ").append(r.write().errors())
            .append(" | ").append(ops(r.read().throughput())).append(" | ").append(ms(r.read().latency().p99Ms()))
            .append(" | ").append(r.read().errors()).append(" |\n");
      }
      ShardThroughput.Result last = throughput.get(throughput.size() - 1);
      if (throughput.size() > 1) {
        double w = ratio(last.write().throughput(), first.write().throughput());
        double c = ratio(last.read().throughput(), first.read().throughput());
        b.append("\nRatio ").append(last.shards()).append("-shard / ").append(first.shards())
            .append("-shard: W ").append(x(w)).append(", C ").append(x(c))
            .append(" (target ≥ ").append(x(RATIO_TARGET)).append("): ")
            .append(met(w >= RATIO_TARGET && c >= RATIO_TARGET)).append('\n');
      }
    }
    if (idle != null) {
      b.append("\n## CPU of idle nodes (3 nodes, ").append(idle.shards()).append(" shards, no traffic)\n\n")
          .append("Measured over ").append(fixed(idle.windowSeconds(), 1)).append(" s, starting ")
          .append(fixed(idle.settleSeconds(), 1)).append(" s after the nodes were started.\n\n")
          .append("| node | CPU (% of a core) | of which JIT compiler threads | without them |"
              + " log lines about the message size limit |\n|--:|--:|--:|--:|--:|\n");
      for (int i = 0; i < idle.coreSharePerNode().size(); i++) {
        double all = idle.coreSharePerNode().get(i);
        double jit = idle.jitSharePerNode().get(i);
        b.append("| ").append(i + 1).append(" | ").append(fixed(100 * all, 1))
            .append(" | ").append(fixed(100 * jit, 1)).append(" | ").append(fixed(100 * (all - jit), 1))
            .append(" | ").append(idle.nodeLogMessageSizeErrors().get(i)).append(" |\n");
      }
      double max = idle.coreSharePerNode().stream().mapToDouble(Double::doubleValue).max().orElse(0);
      double maxWithoutJit = 0;
      for (int i = 0; i < idle.coreSharePerNode().size(); i++) {
        maxWithoutJit = Math.max(maxWithoutJit, idle.coreSharePerNode().get(i) - idle.jitSharePerNode().get(i));
      }
      b.append("\nTarget < ").append(fixed(100 * IDLE_CPU_TARGET, 0)).append("% per node: ")
          .append(met(max < IDLE_CPU_TARGET)).append("; without the JIT compiler threads: ")
          .append(met(maxWithoutJit < IDLE_CPU_TARGET)).append('\n')
          .append("\nCluster map through the routing client: ").append(idle.clientMap()).append('\n');
    }
    if (memory != null) {
      b.append("\n## Resident memory with ").append(String.format(Locale.ROOT, "%,d", memory.values()))
          .append(" values of ").append(memory.valueSize()).append(" bytes (3 nodes, ")
          .append(memory.shards()).append(" shards, -Xmx").append(memory.heap()).append(")\n\n")
          .append("Loaded in ").append(fixed(memory.loadSeconds(), 0)).append(" s")
          .append(memory.loadFailure().isEmpty() ? "." : "; the load was incomplete: " + memory.loadFailure())
          .append("\n\n")
          .append("| node | RSS MiB | data dir MiB |\n|--:|--:|--:|\n");
      for (int i = 0; i < memory.rssBytesPerNode().size(); i++) {
        b.append("| ").append(i + 1).append(" | ").append(mib(memory.rssBytesPerNode().get(i)))
            .append(" | ").append(mib(memory.dataBytesPerNode().get(i))).append(" |\n");
      }
    }
    if (failover != null && !failover.millis().isEmpty()) {
      double p50 = failover.percentile(0.5);
      double max = failover.percentile(1.0);
      b.append("\n## Failover (kill -9 of a shard's leader, 3 nodes, ").append(failover.shards())
          .append(" shards)\n\n")
          .append("| kills | p50 ms | max ms | samples ms | puts the client gave up on |\n|--:|--:|--:|---|--:|\n")
          .append("| ").append(failover.millis().size()).append(" | ").append(fixed(p50, 0))
          .append(" | ").append(fixed(max, 0)).append(" | ")
          .append(failover.millis().stream().map(m -> fixed(m, 0)).collect(Collectors.joining(", ")))
          .append(" | ").append(failover.failedPuts()).append(" |\n")
          .append("\nTarget p50 < ").append(fixed(FAILOVER_P50_TARGET_MS, 0)).append(" ms: ")
          .append(met(p50 < FAILOVER_P50_TARGET_MS)).append("; max < ").append(fixed(FAILOVER_MAX_TARGET_MS, 0))
          .append(" ms: ").append(met(max < FAILOVER_MAX_TARGET_MS)).append('\n');
    }
    return b.toString();
  }

  static double ratio(double a, double b) {
    return b > 0 ? a / b : Double.NaN;
  }

  private static String met(boolean met) {
    return met ? "**met**" : "**missed**";
  }

  private static String ops(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String x(double v) {
    return String.format(Locale.ROOT, "%.2f×", v);
  }

  static String fixed(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%,.0f", bytes / 1048576.0);
  }
}
