package io.kvstore.bench.load;

import io.kvstore.bench.etcd.EtcdCluster;
import io.kvstore.bench.etcd.EtcdGrpcDriver;
import io.kvstore.bench.etcd.JetcdDriver;
import io.kvstore.client.Endpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/bench}: runs YCSB-style workloads against kvstore, etcd, or both alternately, and writes
 * results.md, results.csv and chart.svg. See bench/README.md.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Load generator: YCSB-style workloads against kvstore and (with --compare etcd) etcd.")
public final class BenchMain implements Callable<Integer> {
  @Option(names = "--compare", paramLabel = "etcd",
      description = "Also run every configuration against a 3-member etcd on loopback, alternating the stores.")
  String compare;

  @Option(names = "--store", paramLabel = "kvstore|etcd", defaultValue = "kvstore",
      description = "The store to load when not comparing (default ${DEFAULT-VALUE}).")
  String store;

  @Option(names = "--endpoints", paramLabel = "HOST:PORT,...",
      defaultValue = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003",
      description = "kvstore nodes (default ${DEFAULT-VALUE}).")
  String endpoints;

  @Option(names = "--client", paramLabel = "routing|grpc", defaultValue = "routing",
      description = "kvstore client: the routing Java client, or the plain gRPC stubs with one channel per "
          + "node, every node forwarding (default ${DEFAULT-VALUE}).")
  String client;

  @Option(names = "--etcd-client", paramLabel = "jetcd|grpc", defaultValue = "jetcd",
      description = "etcd client: jetcd, or etcd's gRPC stubs over the same client stack as --client grpc "
          + "(default ${DEFAULT-VALUE}).")
  String etcdClient;

  @Option(names = "--etcd-endpoints", paramLabel = "URL,...",
      description = "Use a running etcd instead of starting one (e.g. http://127.0.0.1:2379).")
  String etcdEndpoints;

  @Option(names = "--etcd-dir", paramLabel = "DIR",
      description = "Where the started etcd members keep data, logs and their PIDs (default: a temp dir).")
  Path etcdDir;

  @Option(names = {"-w", "--workload"}, split = ",", defaultValue = "A", paramLabel = "A|B|C|W|CAS",
      description = "Workloads, comma-separated (default ${DEFAULT-VALUE}): A 50/50 read/update, B 95/5, "
          + "C read-only, W write-only, CAS 50/50 read/compare-and-swap.")
  List<String> workloads;

  @Option(names = "--distribution", defaultValue = "zipfian", paramLabel = "zipfian|uniform",
      description = "Key popularity (default ${DEFAULT-VALUE}).")
  String distribution;

  @Option(names = "--zipf-theta", defaultValue = "0.99", description = "Zipfian skew (default ${DEFAULT-VALUE}).")
  double zipfTheta;

  @Option(names = "--keys", defaultValue = "10000", description = "Key count (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--value-size", defaultValue = "256", description = "Value bytes (default ${DEFAULT-VALUE}).")
  int valueSize;

  @Option(names = "--clients", defaultValue = "1",
      description = "Client instances, each with its own connection per server; in-flight requests are "
          + "spread over them (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--in-flight", split = ",", defaultValue = "16", paramLabel = "N[,N...]",
      description = "Requests outstanding at once, in all; several values run one after another "
          + "(default ${DEFAULT-VALUE}).")
  List<Integer> inFlight;

  @Option(names = "--warmup", defaultValue = "5", paramLabel = "SECONDS",
      description = "Warm-up per configuration, discarded (default ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--prewarm", defaultValue = "90", paramLabel = "SECONDS",
      description = "Before the first configuration, every store runs workload A at the largest in-flight "
          + "value for this long, unmeasured: the JVMs (kvstore's nodes, the generator's clients) compile "
          + "their hot paths, as a long-running server has; 0 skips it (default ${DEFAULT-VALUE}).")
  int prewarmSeconds;

  @Option(names = "--duration", defaultValue = "20", paramLabel = "SECONDS",
      description = "Measured time per configuration (default ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(names = "--consistency", defaultValue = "linearizable", paramLabel = "linearizable|lease|stale",
      description = "Read consistency (default ${DEFAULT-VALUE}).")
  String consistency;

  @Option(names = "--deadline", defaultValue = "10", paramLabel = "SECONDS",
      description = "Deadline of each request (default ${DEFAULT-VALUE}).")
  int deadlineSeconds;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of keys, values and choices.")
  long seed;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Where results.md, results.csv and chart.svg go (default bench/results/run-<time>).")
  Path out;

  private final PrintStream console;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  BenchMain(PrintStream console) {
    this.console = console;
  }

  public static void main(String[] args) {
    int code = new CommandLine(new BenchMain(System.out)).execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    List<RunConfig> configs = configs();
    List<String> storeNames = storeNames();
    KeySpace keySpace = new KeySpace(keys, valueSize, seed);
    KeyChooser chooser = switch (distribution.toLowerCase(java.util.Locale.ROOT)) {
      case "zipfian" -> new ZipfianKeys(keys, zipfTheta);
      case "uniform" -> new UniformKeys(keys);
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "--distribution must be zipfian or uniform, got " + distribution);
    };
    Path outDir = out != null ? out : Path.of("bench", "results", "run-"
        + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()));
    Files.createDirectories(outDir);
    Duration deadline = Duration.ofSeconds(deadlineSeconds);
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    List<RunResult> results = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    EtcdCluster etcd = null;
    List<BenchTarget> targets = new ArrayList<>();
    try {
      for (String name : storeNames) {
        if (name.equals("etcd")) {
          List<URI> urls;
          if (etcdEndpoints != null) {
            urls = Arrays.stream(etcdEndpoints.split(",")).map(String::trim).map(URI::create).toList();
          } else {
            etcd = startEtcd();
            urls = etcd.clientUrls();
          }
          List<URI> u = urls;
          targets.add(target("etcd", i -> etcdClient.equals("grpc")
              ? new EtcdGrpcDriver(u, deadline) : new JetcdDriver(u, deadline)));
        } else {
          List<Endpoint> nodes = Endpoint.parseList(endpoints);
          targets.add(target("kvstore", i -> client.equals("grpc")
              ? new GrpcStoreDriver(nodes, deadline) : new RoutingClientDriver(nodes, deadline)));
        }
      }
      for (BenchTarget t : targets) {
        preflight(t, keySpace, deadline);
      }
      ProgressListener progress = new ConsoleProgress(console);
      prewarm(targets, configs, keySpace, chooser);
      boolean flip = false;
      for (RunConfig config : configs) {
        // Alternate which store goes first, so that neither always runs on the warmer (or more loaded)
        // machine.
        List<BenchTarget> order = new ArrayList<>(targets);
        if (flip) {
          java.util.Collections.reverse(order);
        }
        flip = !flip;
        for (BenchTarget target : order) {
          if (config.workload().needsLoadedKeys() && !target.loaded()) {
            console.printf("%-8s loading %,d keys of %d bytes...%n", target.name(), keys, valueSize);
            KeyLoader.load(target, keySpace, Math.max(64, config.inFlight()), Duration.ofMinutes(10), seed);
          }
          try {
            RunResult r = new LoadRun(target, config, keySpace, chooser, progress).run();
            results.add(r);
            console.println(summaryLine(r));
          } catch (IllegalStateException e) { // requests still in flight long after the run: say so, go on
            String failure = target.name() + " " + config.label() + " failed: " + e.getMessage();
            console.println(failure);
            failures.add(failure);
          }
        }
      }
    } finally {
      for (BenchTarget t : targets) {
        t.close();
      }
      if (etcd != null) {
        etcd.close();
        console.println("etcd: stopped members " + etcd.pids());
      }
    }

    Comparison comparison = targets.size() == 2 ? Comparison.of(results, "kvstore", "etcd") : null;
    List<String> context = new ArrayList<>();
    context.add("date: " + started + " (UTC)");
    context.add("machine: " + Machine.describe()
        + "; shared with other builds and processes: see the machine CPU busy column");
    context.add("command: " + System.getProperty("bench.command",
        "bench " + String.join(" ", spec.commandLine().getParseResult().originalArgs())));
    context.add(prewarmSeconds > 0
        ? "pre-warm: " + prewarmSeconds + " s of workload A per store before the first configuration, unmeasured"
        : "pre-warm: none (--prewarm 0): a fresh JVM's first seconds are in the figures");
    context.addAll(failures);
    String md = MarkdownReport.render(context, results, comparison);
    Files.writeString(outDir.resolve("results.md"), md, StandardCharsets.UTF_8);
    Files.writeString(outDir.resolve("results.csv"), CsvReport.render(results), StandardCharsets.UTF_8);
    Files.writeString(outDir.resolve("chart.svg"),
        SvgChart.render("Throughput and p99 per configuration",
            keys + " keys, " + chooser.describe() + ", " + valueSize + "-byte values, "
                + ReadConsistency.parse(consistency).label() + " reads, " + clients + " client(s); "
                + started,
            results),
        StandardCharsets.UTF_8);
    console.println();
    console.print(md);
    console.println();
    console.println("Written: " + outDir.resolve("results.md") + ", " + outDir.resolve("results.csv") + ", "
        + outDir.resolve("chart.svg"));
    return !failures.isEmpty() || results.stream().anyMatch(r -> r.operations() == 0) ? 1 : 0;
  }

  /**
   * The pre-warm phase ({@code --prewarm}): a JIT-compiled server (and client) is slow for its first tens
   * of seconds, which says nothing about the store a user runs for days; etcd (Go) has no such phase. Every
   * store gets the identical unmeasured load, so the comparison stays like for like.
   */
  private void prewarm(List<BenchTarget> targets, List<RunConfig> configs, KeySpace keySpace, KeyChooser chooser)
      throws Exception {
    if (prewarmSeconds < 0 || prewarmSeconds > 3600) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--prewarm must be 0 to 3600 seconds");
    }
    if (prewarmSeconds == 0) {
      return;
    }
    int most = configs.stream().mapToInt(RunConfig::inFlight).max().orElse(16);
    RunConfig warm = new RunConfig(Workload.parse("A"), ReadConsistency.parse(consistency), most,
        Duration.ofSeconds(prewarmSeconds), Duration.ofSeconds(1), seed);
    for (BenchTarget target : targets) {
      if (!target.loaded()) {
        console.printf("%-8s loading %,d keys of %d bytes...%n", target.name(), keys, valueSize);
        KeyLoader.load(target, keySpace, Math.max(64, most), Duration.ofMinutes(10), seed);
      }
      console.printf("%-8s pre-warm: workload A, %d in flight, %d s (not measured)%n", target.name(), most,
          prewarmSeconds);
      try {
        new LoadRun(target, warm, keySpace, chooser, ProgressListener.NONE).run();
      } catch (IllegalStateException e) {
        console.println(target.name() + " pre-warm: " + e.getMessage());
      }
    }
  }

  /**
   * One read through every client before anything is timed: connects the channels (a fresh JVM's first
   * connection takes a while) and fails early, with a clear message, when a store is not there.
   */
  private void preflight(BenchTarget target, KeySpace keySpace, Duration deadline) throws InterruptedException {
    for (KvDriver d : target.clients()) {
      try {
        d.get(keySpace.key(0), ReadConsistency.LINEARIZABLE)
            .get(deadline.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        throw new IllegalStateException("cannot read from " + target.name() + " (" + d.describe() + "): "
            + cause, cause);
      }
    }
  }

  private BenchTarget target(String name, Function<Integer, KvDriver> factory) {
    List<KvDriver> drivers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      drivers.add(factory.apply(i));
    }
    return new BenchTarget(name, drivers, keys);
  }

  private EtcdCluster startEtcd() throws IOException, InterruptedException {
    Path binary = EtcdCluster.findBinary().orElseThrow(() -> new IllegalStateException(
        "etcd is not installed: apt-get install -y etcd-server etcd-client (scripts/bench does this)"));
    Path dir = etcdDir != null ? etcdDir : Files.createTempDirectory("kvstore-bench-etcd");
    console.println("etcd: starting 3 members on 127.0.0.1, data in " + dir);
    EtcdCluster cluster = EtcdCluster.start(binary, dir, 3, Duration.ofSeconds(60));
    console.println("etcd: " + cluster.clientUrls() + " PIDs " + cluster.pids());
    return cluster;
  }

  private List<String> storeNames() {
    if (compare != null) {
      if (!compare.equalsIgnoreCase("etcd")) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--compare takes etcd, got " + compare);
      }
      return List.of("kvstore", "etcd");
    }
    if (!store.equals("kvstore") && !store.equals("etcd")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--store must be kvstore or etcd");
    }
    return List.of(store);
  }

  private List<RunConfig> configs() {
    if (clients < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--clients must be at least 1");
    }
    if (!etcdClient.equals("jetcd") && !etcdClient.equals("grpc")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--etcd-client must be jetcd or grpc");
    }
    if (!client.equals("routing") && !client.equals("grpc")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--client must be routing or grpc");
    }
    ReadConsistency c = ReadConsistency.parse(consistency);
    List<RunConfig> list = new ArrayList<>();
    for (String w : workloads) {
      for (int n : inFlight) {
        list.add(new RunConfig(Workload.parse(w), c, n, Duration.ofSeconds(warmupSeconds),
            Duration.ofSeconds(durationSeconds), seed));
      }
    }
    return list;
  }

  private static String summaryLine(RunResult r) {
    LatencySummary l = r.latency();
    return String.format(java.util.Locale.ROOT,
        "%-8s %-12s done: %s ops/s, p50 %s ms, p95 %s ms, p99 %s ms, p99.9 %s ms, errors %d, "
            + "generator CPU %s cores (%s µs/op), machine busy %s",
        r.store(), r.config().label(), Formats.ops(r.throughput()), Formats.ms(l.p50Ms()),
        Formats.ms(l.p95Ms()), Formats.ms(l.p99Ms()), Formats.ms(l.p999Ms()), r.errors(),
        Formats.plain(r.generatorCpuCores(), 2), Formats.plain(r.generatorCpuMicrosPerOp(), 1),
        Formats.percent(r.machineCpuBusy()));
  }
}
