package io.kvstore.bench.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * One chaos run's parameters.
 *
 * @param workload   {@code register}, {@code set} or {@code lock}
 * @param duration   how long clients run under faults (healing and checking come after)
 * @param faults     the fault kinds, taking turns
 * @param clients    concurrent clients, each a thread with its own {@code KvClient}
 * @param seed       every random choice (faults, targets, operations) derives from it
 * @param nodes      cluster size (3 or more)
 * @param shards     shards of the cluster
 * @param out        the run folder (history.jsonl, faults.jsonl, verdict.txt, report.html, node logs on failure)
 * @param timing     fault timing
 * @param opDeadline deadline of one client call (all its retries); an operation past it is INFO
 * @param thinkMs    mean pause of a client between operations (0: none)
 * @param leaseReads whether nodes run with {@code --lease-reads} (the Raft leader lease answers reads)
 */
record ChaosConfig(String workload, Duration duration, Set<FaultKind> faults, int clients, long seed, int nodes,
                   int shards, Path out, Nemesis.Timing timing, Duration opDeadline, long thinkMs,
                   boolean leaseReads) {

  ChaosConfig {
    if (!workload.equals("register") && !workload.equals("set") && !workload.equals("lock")) {
      throw new IllegalArgumentException("workload must be register, set or lock, not " + workload);
    }
    if (clients < 1 || clients > 200) {
      throw new IllegalArgumentException("clients must be 1..200, got " + clients);
    }
    if (nodes < 3 || nodes > 9) {
      throw new IllegalArgumentException("nodes must be 3..9, got " + nodes);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("time must be positive");
    }
    faults = Set.copyOf(faults);
  }

  /** Defaults for everything but workload, time, faults, clients, seed and folder. */
  static ChaosConfig of(String workload, Duration duration, Set<FaultKind> faults, int clients, long seed, Path out) {
    return new ChaosConfig(workload, duration, faults, clients, seed, 3, 4, out, Nemesis.Timing.DEFAULT,
        Duration.ofSeconds(6), 5, true);
  }

  ChaosConfig withOut(Path newOut) {
    return new ChaosConfig(workload, duration, faults, clients, seed, nodes, shards, newOut, timing, opDeadline,
        thinkMs, leaseReads);
  }

  ChaosConfig withSeed(long newSeed) {
    return new ChaosConfig(workload, duration, faults, clients, newSeed, nodes, shards, out, timing, opDeadline,
        thinkMs, leaseReads);
  }

  ChaosConfig withLeaseReads(boolean on) {
    return new ChaosConfig(workload, duration, faults, clients, seed, nodes, shards, out, timing, opDeadline,
        thinkMs, on);
  }

  ChaosConfig withTiming(Nemesis.Timing newTiming) {
    return new ChaosConfig(workload, duration, faults, clients, seed, nodes, shards, out, newTiming, opDeadline,
        thinkMs, leaseReads);
  }
}
