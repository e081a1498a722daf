package io.kvstore.bench.scaling;

import io.kvstore.bench.load.Machine;
import io.kvstore.bench.load.ProgressListener;
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
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scaling runner: throughput at several shard counts, CPU of idle shards, RSS with many values and
 * failover time, each on its own fresh 3-node cluster of child JVMs on loopback, one after another. Prints
 * a Markdown report and writes it to {@code --out}. Every phase is bounded (cluster start, load, waits).
 */
@Command(
    name = "scripts/scaling",
    mixinStandardHelpOptions = true,
    description = "Scaling measurements of kvstore on fresh 3-node loopback clusters.")
public final class ScalingMain implements Callable<Integer> {
  @Option(names = "--measure", split = ",", defaultValue = "throughput,idle,memory,failover",
      description = "Which measurements, comma-separated (default: ${DEFAULT-VALUE}).")
  List<String> measure;

  @Option(names = "--shards", split = ",", defaultValue = "1,8,64",
      description = "Shard counts of the throughput runs; the ratio is last / first (default: ${DEFAULT-VALUE}).")
  List<Integer> shards;

  @Option(names = "--in-flight", defaultValue = "128", description = "Throughput: requests in flight (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--keys", defaultValue = "10000", description = "Throughput: keys, chosen uniformly (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--value-size", defaultValue = "256", description = "Value bytes (default: ${DEFAULT-VALUE}).")
  int valueSize;

  // Each throughput cluster is a fresh set of JVMs: with 5 s of warm-up the 64-shard cluster was still
  // compiling (its reads at a quarter of the rate they reach after 40 s), which measured the JIT, not
  // the store.
  @Option(names = "--warmup", defaultValue = "40", description = "Throughput: warm-up seconds per workload, on each fresh cluster (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--duration", defaultValue = "20", description = "Throughput: measured seconds per workload (default: ${DEFAULT-VALUE}).")
  int duration;

  @Option(names = "--idle-shards", defaultValue = "1000", description = "Idle CPU: shards (default: ${DEFAULT-VALUE}).")
  int idleShards;

  @Option(names = "--idle-settle", defaultValue = "90",
      description = "Idle CPU: seconds to wait after every shard has a leader, for the first leader transfers"
          + " of balancing and most JIT compilation to end (default: ${DEFAULT-VALUE}).")
  int idleSettle;

  @Option(names = "--idle-window", defaultValue = "60", description = "Idle CPU: measured seconds (default: ${DEFAULT-VALUE}).")
  int idleWindow;

  @Option(names = "--values", defaultValue = "1000000", description = "Memory: values loaded (default: ${DEFAULT-VALUE}).")
  int values;

  @Option(names = "--memory-shards", defaultValue = "16", description = "Memory: shards (default: ${DEFAULT-VALUE}, the node's default).")
  int memoryShards;

  @Option(names = "--load-in-flight", defaultValue = "256", description = "Memory: puts in flight while loading (default: ${DEFAULT-VALUE}).")
  int loadInFlight;

  @Option(names = "--load-timeout", defaultValue = "1200", description = "Memory: seconds the load may take (default: ${DEFAULT-VALUE}).")
  int loadTimeout;

  @Option(names = "--kills", defaultValue = "10", description = "Failover: leader kills (default: ${DEFAULT-VALUE}).")
  int kills;

  @Option(names = "--failover-shards", defaultValue = "16", description = "Failover: shards (default: ${DEFAULT-VALUE}).")
  int failoverShards;

  @Option(names = "--heap", defaultValue = "1g", description = "Each node's -Xmx (default: ${DEFAULT-VALUE}).")
  String heap;

  @Option(names = "--node-jvm-flags", split = " ", hidden = true,
      description = "More JVM flags for the nodes, space-separated (tests: faster start; not for figures).")
  List<String> nodeJvmFlags = new ArrayList<>();

  @Option(names = "--out", description = "Where to write the Markdown report (default: bench/results/scaling-<UTC time>.md).")
  Path out;

  @Option(names = "--work-dir", description = "Where the nodes' data goes (default: a new temporary directory, deleted at the end).")
  Path workDir;

  private final PrintStream stdout;

  public ScalingMain(PrintStream stdout) {
    this.stdout = stdout;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ScalingMain(System.out)).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    for (String m : measure) {
      if (!List.of("throughput", "idle", "memory", "failover").contains(m)) {
        throw new CommandLine.ParameterException(new CommandLine(this), "unknown measurement: " + m);
      }
    }
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    List<String> context = new ArrayList<>();
    context.add("Date: " + started + " (UTC)");
    context.add("Command: `" + System.getProperty("scaling.command", "ScalingMain " + String.join(" ", measure)) + "`");
    context.add("Machine: " + Machine.describe());
    context.add("Load average before the run: " + loadAverage());
    NodeJvm jvm = new NodeJvm(heap, nodeJvmFlags);
    context.add("Nodes: child JVMs, " + String.join(" ", jvm.arguments())
        + ", default node flags except --shards");
    boolean tempDir = workDir == null;
    Path dir = tempDir ? Files.createTempDirectory("kvstore-scaling") : Files.createDirectories(workDir);
    List<ShardThroughput.Result> throughput = new ArrayList<>();
    IdleCpu.Result idle = null;
    ResidentMemory.Result memory = null;
    Failover.Result failover = null;
    List<String> failures = new ArrayList<>();
    try {
      ProgressListener progress = (store, config, second, warm, ops, errors, p99) -> {
        if (second % 5 == 0) {
          stdout.printf(Locale.ROOT, "  %s %s s%d%s: %d ops/s, %d errors, p99 %.1f ms%n", store, config.label(),
              second, warm ? " (warm-up)" : "", ops, errors, p99);
        }
      };
      if (measure.contains("throughput")) {
        ShardThroughput.Settings s = new ShardThroughput.Settings(keys, valueSize, inFlight,
            Duration.ofSeconds(warmup), Duration.ofSeconds(duration), jvm, 42);
        for (int n : shards) {
          stdout.println("Throughput with " + n + " shards...");
          Path d = fresh(dir, "throughput-" + n);
          ShardThroughput.Result r = attempt(failures, "throughput with " + n + " shards",
              () -> ShardThroughput.measure(d, n, s, progress, stdout));
          if (r != null) {
            throughput.add(r);
          }
          deleteTree(d);
        }
      }
      if (measure.contains("failover")) {
        stdout.println("Failover: " + kills + " kills of a leader...");
        Path d = fresh(dir, "failover");
        failover = attempt(failures, "failover", () -> Failover.measure(d, failoverShards, kills, jvm, stdout));
        deleteTree(d);
      }
      if (measure.contains("idle")) {
        stdout.println("Idle CPU with " + idleShards + " shards...");
        Path d = fresh(dir, "idle");
        idle = attempt(failures, "idle CPU", () -> IdleCpu.measure(d, idleShards, Duration.ofSeconds(idleSettle),
            Duration.ofSeconds(idleWindow), jvm));
        deleteTree(d);
      }
      if (measure.contains("memory")) {
        stdout.println("Memory: loading " + values + " values...");
        Path d = fresh(dir, "memory");
        memory = attempt(failures, "memory", () -> ResidentMemory.measure(d, values, valueSize, memoryShards,
            loadInFlight, jvm, Duration.ofSeconds(loadTimeout), stdout));
        deleteTree(d);
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
    String report = ScalingReport.render(context, throughput, idle, memory, failover);
    Path file = out != null ? out
        : Path.of("bench", "results", "scaling-" + started.toString().replace(":", "") + ".md");
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, report);
    stdout.println();
    stdout.print(report);
    stdout.println("\nWritten to " + file);
    return failures.isEmpty() ? 0 : 1;
  }

  /** A measurement that may fail. */
  private interface Measurement<T> {
    T run() throws Exception;
  }

  /**
   * Runs one measurement; a failure is printed, added to {@code failures} (it goes into the report) and
   * answered with null, so that the other measurements still run. An interrupt stops the whole run.
   */
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

  private static Path fresh(Path dir, String name) throws IOException {
    Path p = dir.resolve(name);
    deleteTree(p);
    return Files.createDirectories(p);
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
