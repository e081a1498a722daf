package io.kvstore.bench.load;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Builds run results for report tests. */
final class Results {
  private Results() {}

  static RunConfig config(Workload w, int inFlight) {
    return new RunConfig(w, ReadConsistency.LINEARIZABLE, inFlight, Duration.ofSeconds(1),
        Duration.ofSeconds(10), 42);
  }

  static RunResult result(String store, Workload w, int inFlight, double opsPerSecond, double p99Ms) {
    long ops = Math.round(opsPerSecond * 10);
    LatencySummary l = new LatencySummary(ops, p99Ms / 4, p99Ms / 3, p99Ms / 1.5, p99Ms, p99Ms * 1.5, p99Ms * 2);
    return new RunResult(store, store + " driver, with, commas", config(w, inFlight), "zipfian(0.99)", 10_000,
        256, 1, ops, 0, 0, 10.0, l, Map.of(OpType.UPDATE, l), 0.25, 0.9,
        List.of(ops / 10), List.of(p99Ms));
  }
}
