package io.kvstore.bench.chaos;

import io.kvstore.bench.check.CheckResult;
import io.kvstore.bench.check.FaultWindow;
import io.kvstore.bench.check.History;
import io.kvstore.bench.check.HistoryRecorder;
import io.kvstore.bench.check.Outcome;
import io.kvstore.bench.check.ReportWriter;
import io.kvstore.bench.check.Verdict;
import io.kvstore.client.KvClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * One chaos run from start to verdict: start a cluster of real nodes, run the workload's clients while the
 * {@link Nemesis} injects faults, heal, let the clients run a little on the healed cluster, run the
 * workload's final reads, check the history and write the run folder ({@link ReportWriter}); the nodes'
 * logs are copied into it when the history is not valid. Everything started is stopped in all cases
 * (and by {@link #abort()} from a shutdown hook).
 */
final class ChaosRun {
  /** Clients keep running this long after the faults heal, so the report shows the recovery. */
  private static final Duration RECOVERY = Duration.ofSeconds(3);

  private final ChaosConfig config;
  private final PrintStream log;
  private volatile ChaosCluster cluster;

  ChaosRun(ChaosConfig config, PrintStream log) {
    this.config = config;
    this.log = log;
  }

  /** Stops what this run started (for a shutdown hook: Ctrl-C, SIGTERM). */
  void abort() {
    ChaosCluster c = cluster;
    if (c != null) {
      c.close();
    }
  }

  ChaosResult run() throws IOException, InterruptedException {
    Files.createDirectories(config.out());
    Path data = Files.createTempDirectory("kvstore-chaos");
    SplittableRandom random = new SplittableRandom(config.seed());
    Network network = chooseNetwork(random);
    String networkText = network instanceof NamespaceNetwork ns ? ns.describe() : "loopback (127.0.0.1), no partitions";
    boolean keepData = false;
    try {
      log.printf("chaos: %s workload, %d s, faults %s, %d clients, seed %d; %d nodes, lease reads %s, %s%n",
          config.workload(), config.duration().toSeconds(), config.faults(), config.clients(), config.seed(),
          config.nodes(), config.leaseReads() ? "on" : "off", networkText);
      cluster = new ChaosCluster(data, config.nodes(), config.shards(), network, config.leaseReads(),
          config.faults().contains(FaultKind.MEMBERSHIP));
      cluster.awaitReady(Duration.ofMinutes(2));
      HistoryRecorder recorder = new HistoryRecorder();
      Workload workload = config.workload().equals("register")
          ? new RegisterWorkload(Math.max(2, config.clients() / 2), 150, config.thinkMs(),
              new DirectReads(cluster.endpoints(), Duration.ofSeconds(2)))
          : new SetWorkload(2, config.thinkMs());
      Nemesis nemesis = new Nemesis(cluster, config.faults(), random.nextLong(), config.timing(), recorder::now);

      List<KvClient> clients = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      List<Throwable> clientErrors = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean running = new AtomicBoolean(true);
      try {
        for (int c = 0; c < config.clients(); c++) {
          KvClient kv = KvClient.builder().seeds(cluster.endpoints()).deadline(config.opDeadline())
              .attemptTimeout(Duration.ofSeconds(2)).jitterSeed(random.nextLong()).build();
          clients.add(kv);
          int client = c;
          long clientSeed = random.nextLong();
          Thread t = new Thread(() -> {
            try {
              workload.runClient(client, kv, recorder, new SplittableRandom(clientSeed), running::get);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } catch (Throwable e) {
              clientErrors.add(e);
            }
          }, "chaos-client-" + c);
          threads.add(t);
        }
        threads.forEach(Thread::start);
        nemesis.start();
        long end = System.nanoTime() + config.duration().toNanos();
        long nextLine = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end && nemesis.error() == null) {
          TimeUnit.MILLISECONDS.sleep(100);
          if (System.nanoTime() >= nextLine) {
            nextLine += TimeUnit.SECONDS.toNanos(5);
            log.printf("  %3d s: %,d operations issued, %,d completed, faults %s%n",
                config.duration().toSeconds() - TimeUnit.NANOSECONDS.toSeconds(Math.max(0, end - System.nanoTime())),
                workload.issued(), recorder.completedCount(), nemesis.counts());
          }
        }
        log.println("  healing: restarting killed nodes, resuming paused ones, reconnecting the network");
        nemesis.stopAndHeal();
        TimeUnit.NANOSECONDS.sleep(RECOVERY.toNanos());
      } finally {
        running.set(false);
        for (Thread t : threads) {
          t.join(config.opDeadline().toMillis() + 30_000);
        }
        clients.forEach(KvClient::close);
        workload.close();
      }
      if (nemesis.error() != null) {
        throw new IllegalStateException("fault injection failed: " + nemesis.error(), nemesis.error());
      }
      if (!clientErrors.isEmpty()) {
        throw new IllegalStateException("a client failed: " + clientErrors.get(0), clientErrors.get(0));
      }
      cluster.awaitReady(Duration.ofMinutes(2));
      try (KvClient kv = KvClient.builder().seeds(cluster.endpoints()).deadline(Duration.ofSeconds(15)).build()) {
        workload.finish(config.clients(), kv, recorder, 20);
      }
      Map<Integer, Long> snapshots = cluster.snapshotIndexes();
      long installed = cluster.snapshotsInstalled();
      History history = recorder.history();
      List<FaultWindow> windows = nemesis.windows();
      log.printf("  checking %,d operations...%n", history.size());
      CheckResult result = workload.check(history);
      Map<String, String> facts = new LinkedHashMap<>();
      facts.put("command", "scripts/chaos --time " + config.duration().toSeconds() + " --faults "
          + String.join(",", config.faults().stream().map(FaultKind::cliName).sorted().toList()) + " --workload "
          + config.workload() + " --clients " + config.clients() + " --seed " + config.seed()
          + (config.leaseReads() ? "" : " --no-lease-reads"));
      facts.put("cluster", config.nodes() + " nodes (child JVMs), " + config.shards() + " shards, snapshots every "
          + ChaosCluster.SNAPSHOT_ENTRIES + " entries, " + (config.leaseReads()
          ? "--lease-reads on (the leader lease answers reads)" : "--lease-reads off (every read does ReadIndex)"));
      facts.put("network", networkText);
      facts.put("faults injected", nemesis.counts().toString());
      facts.put("node starts", cluster.nodes().stream().map(n -> "n" + n.id() + "×" + n.starts()).toList().toString());
      facts.put("snapshot index per node at the end", snapshots.toString());
      facts.put("snapshots installed by followers (InstallSnapshot)", Long.toString(installed));
      ReportWriter.write(config.out(), "chaos: " + config.workload() + " workload", facts, history, windows, result);
      List<String> notes = workload.notes();
      if (!notes.isEmpty()) {
        Files.write(config.out().resolve("notes.jsonl"), notes);
      }
      if (result.verdict() != Verdict.VALID) {
        keepData = true;
        copyNodeLogs(data, config.out());
      }
      ChaosResult r = new ChaosResult(result.verdict(), history.size(), history.count(Outcome.OK),
          history.count(Outcome.FAIL), history.count(Outcome.INFO),
          nemesis.counts(), installed, result.verdict() == Verdict.INVALID ? result.findings() : List.of(),
          networkText, config.out());
      log.println("  " + r.summary());
      return r;
    } catch (IOException | InterruptedException | RuntimeException e) {
      keepData = true;
      copyNodeLogs(data, config.out());
      throw e;
    } finally {
      ChaosCluster c = cluster;
      if (c != null) {
        c.close();
      } else {
        network.close();
      }
      cluster = null;
      if (!keepData) {
        deleteTree(data);
      } else {
        deleteTree(data.resolve("classpath")); // the nodes' class path copy; the data and logs stay
        log.println("  the nodes' data directories are kept in " + data);
      }
    }
  }

  private Network chooseNetwork(SplittableRandom random) {
    if (NamespaceNetwork.available()) {
      // Membership faults need one namespace more, for the spare node.
      int namespaces = config.nodes() + (config.faults().contains(FaultKind.MEMBERSHIP) ? 1 : 0);
      return NamespaceNetwork.createOnFreeSubnet(namespaces, 1 + random.nextInt(250));
    }
    if (config.faults().contains(FaultKind.PARTITION)) {
      throw new IllegalStateException("partition faults need network namespaces: run as root with iproute2 and"
          + " iptables installed (apt-get install iproute2 iptables)");
    }
    return new LoopbackNetwork();
  }

  private static void copyNodeLogs(Path data, Path out) {
    try (Stream<Path> dirs = Files.list(data)) {
      for (Path d : dirs.toList()) {
        Path logFile = d.resolve("node.log");
        if (Files.exists(logFile)) {
          Files.copy(logFile, out.resolve(d.getFileName() + ".log"), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      // the logs are a courtesy; the verdict stands without them
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // temporary data: the OS cleans it eventually
    }
  }
}
