package io.kvstore.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.bench.check.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Long chaos runs ({@code mvn -o -pl bench -Psoak test -Dtest=ChaosSoakTest}): {@code chaos.runs} runs
 * (default 100) of {@code chaos.seconds} each (default 120), the register, set and lock workloads in turn,
 * every fault kind, seeds {@code chaos.seed} + i. Run folders go to {@code bench/results/chaos-soak-<seed>/}
 * and are kept. Fails on any anomaly or run that did not complete, after all runs, with the totals.
 */
@Tag("soak")
class ChaosSoakTest {

  @Test
  void manyLongRunsFindNoAnomaly() throws Exception {
    int runs = Integer.getInteger("chaos.runs", 100);
    long seconds = Long.getLong("chaos.seconds", 120);
    long seed = Long.getLong("chaos.seed", 1000);
    Set<FaultKind> kinds = NamespaceNetwork.available() ? EnumSet.allOf(FaultKind.class)
        : EnumSet.of(FaultKind.KILL, FaultKind.PAUSE);
    Path base = Path.of(System.getProperty("chaos.out", "results/chaos-soak-" + seed));
    long operations = 0;
    Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
    List<String> bad = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      String workload = List.of("register", "set", "lock").get(i % 3);
      ChaosConfig config = ChaosConfig.of(workload, Duration.ofSeconds(seconds), kinds, 5, seed + i,
          base.resolve(String.format("run-%03d-%s", i + 1, workload)));
      try {
        ChaosResult r = new ChaosRun(config, System.out).run();
        operations += r.operations();
        r.faults().forEach((k, v) -> faults.merge(k, v, Integer::sum));
        if (r.verdict() != Verdict.VALID) {
          bad.add(r.summary());
        }
      } catch (Exception e) {
        bad.add("run " + (i + 1) + " (seed " + (seed + i) + ") did not complete: " + e);
      }
    }
    System.out.printf("chaos soak: %d runs, %,d operations, faults %s, %d not valid%n", runs, operations, faults,
        bad.size());
    assertThat(bad).isEmpty();
  }
}
