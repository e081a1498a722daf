package io.kvstore.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.bench.check.History;
import io.kvstore.bench.check.OpType;
import io.kvstore.bench.check.Outcome;
import io.kvstore.bench.check.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short chaos runs on a real 3-node cluster (child JVMs), in the default build: each workload under every
 * fault kind (kill -9 with restart, SIGSTOP pauses, network partitions when namespaces are available),
 * failing on any anomaly the checker finds. About 45 s per run on the shared 2-core machine.
 */
class ChaosRunTest {
  /** Faults short enough that each kind comes up at least once in {@link #TIME}. */
  private static final Nemesis.Timing SHORT = new Nemesis.Timing(800, 1_500, 2_500, 4_000);
  private static final Duration TIME = Duration.ofSeconds(22);
  private static final Duration LOCK_TIME = Duration.ofSeconds(14);

  @TempDir
  Path dir;

  /**
   * Nodes run with {@code --lease-reads}, so LEASE reads are checked under pauses too: a leader woken from
   * SIGSTOP once answered from a lease that had expired in real time (bench/README.md, "Verification";
   * fixed: the worker voids every lease after a gap in its ticks; {@link LeaseReadPauseTest} is the long
   * pause-only version).
   */
  @Test
  void registerHistoryIsLinearizableUnderEveryFaultKind() throws Exception {
    ChaosResult r = run("register", 42, true);
    History history = History.read(r.folder().resolve("history.jsonl"));
    assertThat(history.operations()).anyMatch(op -> op.type() == OpType.CAS && op.outcome() == Outcome.OK);
    assertThat(history.operations()).anyMatch(op -> op.type() == OpType.GET && op.outcome() == Outcome.OK
        && op.value() != null);
  }

  @Test
  void setLosesNoAcknowledgedElementUnderEveryFaultKind() throws Exception {
    ChaosResult r = run("set", 43, true);
    History history = History.read(r.folder().resolve("history.jsonl"));
    // The final read of each set happened and returned the elements (the check is only as good as it).
    assertThat(history.operations().stream()
        .filter(op -> op.type() == OpType.READ && op.outcome() == Outcome.OK && !op.elements().isEmpty())
        .map(op -> op.key()).distinct()).hasSize(2);
  }

  /**
   * Mutual exclusion with fencing: a shorter run (its own cluster start is most of the cost), still with
   * every fault kind; some holders play paused processes, so some stale writes must have been refused.
   */
  @Test
  void lockFencingHoldsUnderEveryFaultKind() throws Exception {
    ChaosResult r = run("lock", 44, true, LOCK_TIME);
    History history = History.read(r.folder().resolve("history.jsonl"));
    // Tokens are Raft indexes of the lock's shard: unique per lock (two locks in two shards may share one).
    var tokensByLock = history.operations().stream()
        .filter(op -> op.type() == OpType.ACQUIRE && op.outcome() == Outcome.OK)
        .collect(java.util.stream.Collectors.groupingBy(op -> op.key(),
            java.util.stream.Collectors.mapping(op -> op.token(), java.util.stream.Collectors.toList())));
    assertThat(tokensByLock.values()).allSatisfy(tokens -> assertThat(tokens).doesNotHaveDuplicates());
    assertThat(tokensByLock.values().stream().mapToInt(List::size).sum()).as("acknowledged acquires")
        .isGreaterThan(5);
    assertThat(history.operations()).anyMatch(op -> op.type() == OpType.GUARDED_PUT && op.outcome() == Outcome.OK);
    assertThat(history.operations()).as("a stale write refused by the fence")
        .anyMatch(op -> op.type() == OpType.GUARDED_PUT && op.outcome() == Outcome.FAIL);
    assertThat(history.operations().stream()
        .filter(op -> op.type() == OpType.READ && op.outcome() == Outcome.OK && !op.elements().isEmpty())
        .map(op -> op.key()).distinct()).as("the final read of each lock's writes").hasSize(2);
  }

  private ChaosResult run(String workload, long seed, boolean leaseReads) throws Exception {
    return run(workload, seed, leaseReads, TIME);
  }

  private ChaosResult run(String workload, long seed, boolean leaseReads, Duration time) throws Exception {
    Set<FaultKind> kinds = EnumSet.of(FaultKind.KILL, FaultKind.PAUSE);
    if (NamespaceNetwork.available()) {
      kinds.add(FaultKind.PARTITION);
    } else {
      System.out.println("ChaosRunTest: no partitions (network namespaces need root, ip and iptables)");
    }
    ChaosConfig config = ChaosConfig.of(workload, time, kinds, 4, seed, dir.resolve("run")).withTiming(SHORT)
        .withLeaseReads(leaseReads);
    ChaosResult r = new ChaosRun(config, System.out).run();
    String verdict = Files.readString(r.folder().resolve("verdict.txt"));
    System.out.print("ChaosRunTest: verdict.txt of the " + workload + " run:\n" + verdict);
    if (r.verdict() != Verdict.VALID) {
      keep(r.folder(), Path.of("target", "chaos-failed-" + workload + "-" + seed));
    }
    assertThat(r.verdict()).as("verdict.txt:\n%s", verdict).isEqualTo(Verdict.VALID);
    assertThat(r.anomalies()).isEmpty();
    for (FaultKind k : kinds) {
      assertThat(r.faults().getOrDefault(k, 0)).as("%s faults injected", k).isPositive();
    }
    assertThat(r.ok()).as("acknowledged operations").isGreaterThan(workload.equals("lock") ? 30 : 100);
    assertThat(r.folder().resolve("report.html")).exists();
    assertThat(Files.readAllLines(r.folder().resolve("faults.jsonl"))).hasSize(r.faultCount());
    return r;
  }

  /** Copies a failed run's folder out of the temporary directory, for a person to read. */
  private static void keep(Path from, Path to) throws java.io.IOException {
    try (var files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    System.out.println("ChaosRunTest: the failed run's folder is kept in " + to.toAbsolutePath());
  }
}
