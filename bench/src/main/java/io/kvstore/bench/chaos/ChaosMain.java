package io.kvstore.bench.chaos;

import io.kvstore.bench.check.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/chaos}: starts its own cluster of real nodes, drives concurrent clients while faults hit
 * it, records the history, checks it, writes the run folder and stops everything it started.
 *
 * <p>Exit status: 0 when every run's history is valid; 1 when one is not (an anomaly: the folder keeps the
 * history, verdict and node logs); 2 when a check could not finish; 3 when a run failed to run (cluster did
 * not start, a fault could not be injected); 64 bad usage.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Fault injection on a real kvstore cluster, with the history checked for linearizability"
        + " (register) or lost writes (set).")
public final class ChaosMain implements Callable<Integer> {

  @Option(names = "--time", defaultValue = "60", description = "Seconds of faults per run (default: ${DEFAULT-VALUE}).")
  long seconds;

  @Option(names = "--faults", defaultValue = "kill,pause,partition",
      description = "Comma-separated: kill, pause, partition, membership (a spare node joins, then is drained and"
          + " removed) (or all, none) (default: ${DEFAULT-VALUE}).")
  String faults;

  @Option(names = "--workload", defaultValue = "register", description = "register or set (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--clients", defaultValue = "5", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--runs", defaultValue = "1",
      description = "Runs, each with a fresh cluster; run i uses seed + i (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--nodes", defaultValue = "3", description = "Nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--shards", defaultValue = "4", description = "Shards (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--op-timeout-ms", defaultValue = "6000",
      description = "Deadline of one client call, retries included (default: ${DEFAULT-VALUE}).")
  long opTimeoutMs;

  @Option(names = "--think-ms", defaultValue = "5",
      description = "Mean pause of a client between operations (default: ${DEFAULT-VALUE}).")
  long thinkMs;

  @Option(names = "--lease-reads", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Nodes serve reads from the Raft leader lease (--lease-reads); --no-lease-reads: every read"
          + " does a ReadIndex round (default: on).")
  boolean leaseReads;

  @Option(names = "--fault-ms", defaultValue = "1500,4000,3000,7000",
      description = "Fault timing in ms: quiet gap min,max and fault hold min,max (default: ${DEFAULT-VALUE}).")
  String faultMs;

  @Option(names = "--out", description = "Run folder (default: bench/results/chaos-<UTC time>; with --runs, one"
      + " sub-folder per run).")
  Path out;

  private volatile ChaosRun current;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ChaosMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Set<FaultKind> kinds;
    try {
      kinds = FaultKind.parseList(faults);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 64;
    }
    if (runs < 1 || seconds < 1) {
      System.err.println("--runs and --time must be at least 1");
      return 64;
    }
    Nemesis.Timing timing;
    try {
      String[] t = faultMs.split(",");
      timing = new Nemesis.Timing(Long.parseLong(t[0].strip()), Long.parseLong(t[1].strip()),
          Long.parseLong(t[2].strip()), Long.parseLong(t[3].strip()));
    } catch (RuntimeException e) {
      System.err.println("--fault-ms wants four numbers: quietMin,quietMax,holdMin,holdMax");
      return 64;
    }
    Path base = out != null ? out : Path.of("bench", "results",
        "chaos-" + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Thread hook = new Thread(() -> {
      ChaosRun r = current;
      if (r != null) {
        r.abort();
      }
    }, "chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);

    long operations = 0;
    long anomalies = 0;
    long snapshots = 0;
    int invalid = 0;
    int unknown = 0;
    int errors = 0;
    Map<FaultKind, Integer> faultTotals = new EnumMap<>(FaultKind.class);
    for (int i = 0; i < runs; i++) {
      Path folder = runs == 1 ? base : base.resolve(String.format("run-%03d", i + 1));
      ChaosConfig config;
      try {
        config = new ChaosConfig(workload, Duration.ofSeconds(seconds), kinds, clients, seed + i, nodes, shards,
            folder, timing, Duration.ofMillis(opTimeoutMs), thinkMs, leaseReads);
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return 64;
      }
      ChaosRun run = new ChaosRun(config, System.out);
      current = run;
      try {
        ChaosResult r = run.run();
        operations += r.operations();
        anomalies += r.anomalies().size();
        snapshots += r.snapshotsInstalled();
        r.faults().forEach((k, v) -> faultTotals.merge(k, v, Integer::sum));
        if (r.verdict() == Verdict.INVALID) {
          invalid++;
          r.anomalies().stream().limit(5).forEach(a -> System.out.println("ANOMALY: " + a));
        } else if (r.verdict() == Verdict.UNKNOWN) {
          unknown++;
        }
      } catch (Exception e) {
        errors++;
        System.out.println("  run " + (i + 1) + " did not complete: " + e);
      } finally {
        current = null;
      }
    }
    System.out.printf("%nchaos: %d run(s), %,d operations, %d faults %s, %d snapshots installed, %d anomalies;"
            + " %d invalid, %d unknown, %d did not complete — %s%n", runs, operations,
        faultTotals.values().stream().mapToInt(x -> x).sum(), faultTotals, snapshots, anomalies, invalid, unknown,
        errors, base.toAbsolutePath());
    Runtime.getRuntime().removeShutdownHook(hook);
    if (invalid > 0) {
      return 1;
    }
    if (unknown > 0) {
      return 2;
    }
    return errors > 0 ? 3 : 0;
  }
}
