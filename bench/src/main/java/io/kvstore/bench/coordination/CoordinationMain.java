package io.kvstore.bench.coordination;

import com.google.protobuf.ByteString;
import io.kvstore.bench.load.Machine;
import io.kvstore.bench.scaling.NodeCluster;
import io.kvstore.bench.scaling.NodeJvm;
import io.kvstore.client.Endpoint;
import io.kvstore.client.KvClient;
import io.kvstore.client.KvClientBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/coordination-bench}: issue 9's benchmarks on one fresh 3-node cluster of child JVMs on
 * loopback — uncontended acquire+release pairs per second, contended hand-off latency, watch delivery
 * latency, near-cache reads against reads from the cluster. Prints figures (never asserts them), writes a
 * Markdown report, stops every node it started.
 */
@Command(
    name = "scripts/coordination-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Benchmarks of locks, watches and the near-cache on a fresh 3-node loopback cluster.")
public final class CoordinationMain implements Callable<Integer> {
  static final List<String> MEASUREMENTS = List.of("lock", "handoff", "watch", "nearcache");

  @Option(names = "--measure", split = ",", defaultValue = "lock,handoff,watch,nearcache",
      description = "Which measurements, comma-separated (default: ${DEFAULT-VALUE}).")
  List<String> measure;

  @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds per measurement (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--duration", defaultValue = "10", description = "Measured seconds per measurement (default: ${DEFAULT-VALUE}).")
  int duration;

  @Option(names = "--prewarm", defaultValue = "60",
      description = "Seconds of unmeasured lock and put traffic before the first measurement, so the nodes' JIT"
          + " compilers are done (default: ${DEFAULT-VALUE}; a fresh node JVM needs about a minute on 2 cores).")
  int prewarm;

  @Option(names = "--in-flight", split = ",", defaultValue = "16,64,256",
      description = "lock: acquire+release pairs in flight, each on its own lock; several values run one after"
          + " another (default: ${DEFAULT-VALUE}).")
  List<Integer> inFlight;

  @Option(names = "--waiters", defaultValue = "16", description = "handoff: waiters on the one lock (default: ${DEFAULT-VALUE}).")
  int waiters;

  @Option(names = "--writers", defaultValue = "4", description = "watch: writer threads (default: ${DEFAULT-VALUE}).")
  int writers;

  @Option(names = "--keys", defaultValue = "1000", description = "nearcache: keys (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--threads", defaultValue = "8", description = "nearcache: reader threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--shards", defaultValue = "16", description = "Shards of the cluster (default: ${DEFAULT-VALUE}, the node's default).")
  int shards;

  @Option(names = "--heap", defaultValue = "1g", description = "Each node's -Xmx (default: ${DEFAULT-VALUE}).")
  String heap;

  @Option(names = "--node-jvm-flags", split = " ", hidden = true,
      description = "More JVM flags for the nodes, space-separated (tests: faster start; not for figures).")
  List<String> nodeJvmFlags = new ArrayList<>();

  @Option(names = "--out", description = "Where to write the Markdown report (default: bench/results/coordination-<UTC time>.md).")
  Path out;

  @Option(names = "--work-dir", description = "Where the nodes' data goes (default: a new temporary directory, deleted at the end).")
  Path workDir;

  private final PrintStream stdout;

  public CoordinationMain(PrintStream stdout) {
    this.stdout = stdout;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new CoordinationMain(System.out)).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    for (String m : measure) {
      if (!MEASUREMENTS.contains(m)) {
        throw new CommandLine.ParameterException(new CommandLine(this), "unknown measurement: " + m
            + " (one of " + String.join(", ", MEASUREMENTS) + ")");
      }
    }
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Duration warm = Duration.ofSeconds(warmup);
    Duration measured = Duration.ofSeconds(duration);
    List<String> context = new ArrayList<>();
    context.add("Date: " + started + " (UTC)");
    context.add("Command: `" + System.getProperty("coordination.command", "CoordinationMain") + "`");
    context.add("Machine: " + Machine.describe());
    context.add("Load average before the run: " + loadAverage());
    NodeJvm jvm = new NodeJvm(heap, nodeJvmFlags);
    context.add("Nodes: 3 child JVMs on 127.0.0.1, " + String.join(" ", jvm.arguments()) + ", " + shards
        + " shards, default node flags otherwise; the benchmark's client runs in this JVM on the same cores");
    context.add("Each measurement: " + warmup + " s warm-up, " + duration + " s measured; before the first, "
        + prewarm + " s of unmeasured acquire+release and put traffic (pre-warm)");
    boolean tempDir = workDir == null;
    Path dir = tempDir ? Files.createTempDirectory("kvstore-coordination") : Files.createDirectories(workDir);
    List<UncontendedLocks.Result> uncontended = new ArrayList<>();
    LockHandOff.Result handOff = null;
    List<WatchLatency.Result> watches = new ArrayList<>();
    NearCacheReads.Result near = null;
    List<String> failures = new ArrayList<>();
    try (NodeCluster cluster = new NodeCluster(dir.resolve("cluster"), 3, shards, jvm)) {
      stdout.println("Starting 3 nodes...");
      cluster.awaitLeaders(Duration.ofMinutes(2));
      List<Endpoint> endpoints = cluster.endpoints();
      // Answers on the connection's thread (no callback here blocks; blocking calls run on own threads).
      try (KvClient client = KvClient.builder().seeds(endpoints).deadline(Duration.ofSeconds(10))
          .callbackExecutor(KvClientBuilder.TRANSPORT_THREAD).build()) {
        client.clusterMap().join();
        if (prewarm > 0) {
          // Fresh JVMs interpret and compile for the first minute; without this the first measurement
          // reads the JIT, not the store (16 in flight: 281 pairs/s first in a run, 2,703 after others).
          int n = inFlight.stream().max(Integer::compare).orElse(64);
          stdout.println("Pre-warm: " + prewarm + " s of acquire+release and put+put, " + n + " in flight...");
          Duration half = Duration.ofSeconds(Math.max(1, prewarm / 2));
          attempt(failures, "pre-warm (locks)", () -> UncontendedLocks.measure(client, n, half, Duration.ZERO));
          attempt(failures, "pre-warm (puts)", () -> UncontendedLocks.measurePuts(client, n, half, Duration.ZERO));
        }
        if (measure.contains("lock")) {
          for (int n : inFlight) {
            stdout.println("Uncontended acquire+release, " + n + " in flight...");
            UncontendedLocks.Result r = attempt(failures, "lock, " + n + " in flight",
                () -> UncontendedLocks.measure(client, n, warm, measured));
            if (r != null) {
              uncontended.add(r);
              stdout.printf("  %.0f pairs/s, p99 %s ms%n", r.pairsPerSecond(), CoordinationReport.ms(r.pairLatency().p99Ms()));
            }
            UncontendedLocks.Result puts = attempt(failures, "put+put, " + n + " in flight",
                () -> UncontendedLocks.measurePuts(client, n, warm, measured));
            if (puts != null) {
              uncontended.add(puts);
              stdout.printf("  baseline put+put: %.0f pairs/s, p99 %s ms%n", puts.pairsPerSecond(),
                  CoordinationReport.ms(puts.pairLatency().p99Ms()));
            }
          }
        }
        if (measure.contains("handoff")) {
          stdout.println("Contended hand-off, " + waiters + " waiters...");
          handOff = attempt(failures, "handoff", () -> LockHandOff.measure(client, waiters, warm, measured));
        }
        if (measure.contains("watch")) {
          ByteString prefix = ByteString.copyFromUtf8("bench-watch{w}:");
          long shard = client.cachedView().table().shardForKey(prefix).getId();
          Map<Long, Integer> leaders = cluster.leaders();
          Integer leader = leaders.get(shard);
          if (leader == null) {
            failures.add("watch: shard " + shard + " has no leader");
          } else {
            int follower = leader % 3 + 1;
            for (int node : List.of(leader, follower)) {
              String role = node == leader ? "leader" : "follower";
              stdout.println("Watch delivery, watched on the shard's " + role + " (node " + node + ")...");
              WatchLatency.Result r = attempt(failures, "watch on the " + role, () -> WatchLatency.measure(client,
                  endpoints.get(node - 1).toString(), role, prefix, writers, warm, measured));
              if (r != null) {
                watches.add(r);
              }
            }
          }
        }
        if (measure.contains("nearcache")) {
          stdout.println("Near-cache reads (" + keys + " keys, " + threads + " threads)...");
          near = attempt(failures, "nearcache", () -> NearCacheReads.measure(client, endpoints.get(0).toString(), keys,
              threads, warm, measured));
        }
      }
    } finally {
      if (tempDir) {
        deleteTree(dir);
      }
    }
    context.add("Load average after the run: " + loadAverage());
    for (String f : failures) {
      context.add("FAILED: " + f);
    }
    String report = CoordinationReport.render(context, uncontended, handOff, watches, near);
    Path file = out != null ? out
        : Path.of("bench", "results", "coordination-" + started.toString().replace(":", "") + ".md");
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, report);
    stdout.println();
    stdout.print(report);
    stdout.println("\nWritten to " + file);
    return failures.isEmpty() ? 0 : 1;
  }

  private interface Measurement<T> {
    T run() throws Exception;
  }

  /** Runs one measurement; a failure is printed and reported, and the others still run. */
  private <T> T attempt(List<String> failures, String what, Measurement<T> m) throws InterruptedException {
    try {
      return m.run();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      String line = what + ": " + e;
      failures.add(line.length() > 2000 ? line.substring(0, 2000) + "..." : line);
      stdout.println("FAILED: " + line);
      return null;
    }
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2] + " (1, 5, 15 min) on "
          + Runtime.getRuntime().availableProcessors() + " cores";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
