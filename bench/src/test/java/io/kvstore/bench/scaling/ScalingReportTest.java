package io.kvstore.bench.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.bench.load.LatencySummary;
import io.kvstore.bench.load.ReadConsistency;
import io.kvstore.bench.load.RunConfig;
import io.kvstore.bench.load.RunResult;
import io.kvstore.bench.load.Workload;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScalingReportTest {
  private static RunResult run(Workload w, long ops, double p99) {
    RunConfig config = new RunConfig(w, ReadConsistency.LINEARIZABLE, 128, Duration.ofSeconds(5),
        Duration.ofSeconds(20), 42);
    return new RunResult("kvstore", "routing", config, "uniform", 10_000, 256, 1, ops, 0, 0, 20.0,
        new LatencySummary(ops, 1, 2, 3, p99, 5, 6), Map.of(), 0.3, 1.0, List.of(), List.of());
  }

  @Test
  void throughputTableHasARowPerShardCountAndTheRatioAgainstItsTarget() {
    List<ShardThroughput.Result> rows = List.of(
        new ShardThroughput.Result(1, 1, run(Workload.W, 20_000, 100), run(Workload.C, 40_000, 50)),
        new ShardThroughput.Result(64, 64, run(Workload.W, 18_000, 120), run(Workload.C, 30_000, 60)));
    String md = ScalingReport.render(List.of("Date: today"), rows, null, null, null);
    assertThat(md).contains("- Date: today");
    assertThat(md).contains("| 1 | 1 | 1,000 | 100.0 | 0 | 2,000 | 50.0 | 0 |");
    assertThat(md).contains("| 64 | 64 | 900 | 120.0 | 0 | 1,500 | 60.0 | 0 |");
    // W 0.90 meets 0.8, C 0.75 does not: the whole target is missed.
    assertThat(md).contains("W 0.90×, C 0.75×").contains("**missed**");
    assertThat(md).doesNotContain("Failover").doesNotContain("idle nodes").doesNotContain("Resident memory");
  }

  @Test
  void idleMemoryAndFailoverSectionsStateTheirTargets() {
    IdleCpu.Result idle = new IdleCpu.Result(1000, 80, 60, List.of(0.012, 0.034, 0.049),
        List.of(0.002, 0.004, 0.019), "ok: 1000 shards", List.of(0L, 0L, 2L));
    ResidentMemory.Result memory = new ResidentMemory.Result(1_000_000, 256, 16, "1g", 300,
        List.of(700L << 20, 710L << 20, 690L << 20), List.of(400L << 20, 400L << 20, 400L << 20), "");
    Failover.Result failover = new Failover.Result(16, List.of(900.0, 1200.0, 800.0, 1000.0), 1);
    String md = ScalingReport.render(List.of(), List.of(), idle, memory, failover);
    assertThat(md).contains("| 3 | 4.9 | 1.9 | 3.0 | 2 |")
        .contains("Target < 5% per node: **met**; without the JIT compiler threads: **met**")
        .contains("Cluster map through the routing client: ok: 1000 shards");
    assertThat(md).contains("-Xmx1g").contains("| 2 | 710 | 400 |");
    // Nearest-rank p50 of {800, 900, 1000, 1200} is 900; max 1200.
    assertThat(md).contains("| 4 | 900 | 1200 | 900, 1200, 800, 1000 | 1 |")
        .contains("p50 < 1000 ms: **met**; max < 2000 ms: **met**");
  }

  @Test
  void failoverPercentilesAreNearestRank() {
    Failover.Result r = new Failover.Result(1, List.of(5.0, 1.0, 4.0, 2.0, 3.0), 0);
    assertThat(r.percentile(0.5)).isEqualTo(3.0);
    assertThat(r.percentile(1.0)).isEqualTo(5.0);
    assertThat(r.percentile(0.01)).isEqualTo(1.0);
  }
}
