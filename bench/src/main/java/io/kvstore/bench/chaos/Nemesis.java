package io.kvstore.bench.chaos;

import io.kvstore.bench.check.FaultWindow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Injects faults into a {@link ChaosCluster}, one at a time, on its own thread: a quiet gap, then a fault
 * held for a while, then healed, and again, until {@link #stopAndHeal()}. The kinds enabled take turns
 * (so a short run sees each of them); which node, which partition and how long are drawn from the seed.
 *
 * <p>Every fault is recorded as a {@link FaultWindow} on the history's clock, from the moment it is in
 * force to the moment it is healed. Kill and pause prefer a node that leads shards now (asked with
 * GetNodeStatus), since faults at leaders are the ones that test failover.
 */
final class Nemesis {
  /** Timing of faults, in milliseconds. */
  record Timing(long quietMinMs, long quietMaxMs, long holdMinMs, long holdMaxMs) {
    /** Long enough to lose leadership (election timeout: 10 ticks of 100 ms) and to get far behind. */
    static final Timing DEFAULT = new Timing(1_500, 4_000, 3_000, 7_000);
  }

  private final ChaosCluster cluster;
  private final List<FaultKind> kinds;
  private final SplittableRandom random;
  private final Timing timing;
  private final LongSupplier clock;
  private final List<FaultWindow> windows = Collections.synchronizedList(new ArrayList<>());
  private final Map<FaultKind, Integer> counts = Collections.synchronizedMap(new EnumMap<>(FaultKind.class));
  private final Thread thread;
  private volatile boolean stopping;
  private volatile Throwable error;

  Nemesis(ChaosCluster cluster, Set<FaultKind> enabled, long seed, Timing timing, LongSupplier clock) {
    this.cluster = cluster;
    this.kinds = new ArrayList<>(enabled);
    if (kinds.contains(FaultKind.PARTITION) && !cluster.network().canPartition()) {
      throw new IllegalArgumentException("partition faults need network namespaces (root, ip, iptables)");
    }
    this.random = new SplittableRandom(seed);
    this.timing = timing;
    this.clock = clock;
    this.thread = new Thread(this::loop, "nemesis");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Ends the current fault early, heals everything (restarts killed nodes, resumes paused ones, reconnects). */
  void stopAndHeal() throws InterruptedException {
    stopping = true;
    thread.interrupt();
    thread.join(TimeUnit.MINUTES.toMillis(2));
    finishMembershipFault();
    // Whatever the loop left behind (it heals in finally, but a failure may have skipped a step).
    if (cluster.network().canPartition()) {
      cluster.network().heal();
    }
    for (NodeProcess n : cluster.nodes()) {
      n.resume();
      if (!n.isAlive()) {
        try {
          n.start();
        } catch (IOException e) {
          throw new IllegalStateException("cannot restart node " + n.id() + ": " + e, e);
        }
      }
    }
  }

  /** The fault windows so far. */
  List<FaultWindow> windows() {
    synchronized (windows) {
      return List.copyOf(windows);
    }
  }

  /** Faults injected so far, per kind. */
  Map<FaultKind, Integer> counts() {
    synchronized (counts) {
      Map<FaultKind, Integer> copy = new EnumMap<>(FaultKind.class); // EnumMap(Map) refuses an empty map
      copy.putAll(counts);
      return copy;
    }
  }

  /** The error that stopped the nemesis early, or null. */
  Throwable error() {
    return error;
  }

  private void loop() {
    int turn = 0;
    try {
      while (!stopping && !kinds.isEmpty()) {
        sleepMs(between(timing.quietMinMs(), timing.quietMaxMs()));
        FaultKind kind = kinds.get(turn++ % kinds.size());
        switch (kind) {
          case KILL -> kill();
          case PAUSE -> pause();
          case PARTITION -> partition();
          case MEMBERSHIP -> membership();
        }
      }
    } catch (InterruptedException e) {
      // stopAndHeal: the fault in progress was healed by its finally block
    } catch (Throwable t) {
      // Once stopAndHeal interrupted us, a fault step may fail on that interrupt (e.g. waiting for the
      // kill command): stopAndHeal heals whatever that step left, so it is no failure of the run.
      if (!stopping) {
        error = t;
      }
    }
  }

  private void kill() throws InterruptedException {
    NodeProcess target = pickLeaderPreferred();
    cluster.bankSnapshotCount(target);
    target.kill9();
    long start = clock.getAsLong();
    count(FaultKind.KILL);
    try {
      sleepMs(between(timing.holdMinMs(), timing.holdMaxMs()));
    } finally {
      try {
        target.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot restart node " + target.id() + ": " + e, e);
      } finally {
        windows.add(new FaultWindow("kill -9 n" + target.id() + ", restarted", start, clock.getAsLong()));
      }
    }
  }

  private void pause() throws InterruptedException {
    NodeProcess target = pickLeaderPreferred();
    target.pause();
    long start = clock.getAsLong();
    count(FaultKind.PAUSE);
    try {
      sleepMs(between(timing.holdMinMs(), timing.holdMaxMs()));
    } finally {
      try {
        target.resume();
      } finally {
        windows.add(new FaultWindow("pause (SIGSTOP) n" + target.id(), start, clock.getAsLong()));
      }
    }
  }

  /**
   * The spare node starts with {@code --join} (an empty data dir: it asks to be added), the fault holds
   * until its replicas have moved in, then it is drained with RemoveMember until it has left the map, and
   * stopped. Bounded: each phase gives up after {@link #MEMBERSHIP_PHASE_MS}.
   */
  private void membership() throws InterruptedException {
    NodeProcess spare = cluster.spare();
    if (spare == null) {
      throw new IllegalStateException("membership faults need the cluster's spare node");
    }
    long start = clock.getAsLong();
    count(FaultKind.MEMBERSHIP);
    String outcome = "joined";
    try {
      wipe(spare);
      try {
        spare.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start spare node " + spare.id() + ": " + e, e);
      }
      boolean settled = waitFor(m -> hasNode(m, spare.id()) && m.getMovesCount() == 0 && replicasOn(m, spare.id()) > 0);
      outcome = settled ? "joined, replicas moved in" : "joined (moves still running)";
      sleepMs(between(timing.holdMinMs(), timing.holdMaxMs()));
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MEMBERSHIP_PHASE_MS);
      while (!cluster.removeMember(spare.id()) && System.nanoTime() - deadline < 0) {
        sleepMs(500);
      }
      boolean left = waitFor(m -> !hasNode(m, spare.id()));
      outcome += left ? ", drained and removed" : ", drain not finished";
    } finally {
      try {
        if (!stopping) {
          spare.kill9(); // it has left the map (or could not drain in time: reported in the window's name)
        }
      } finally {
        windows.add(new FaultWindow("membership: n" + spare.id() + " " + outcome, start, clock.getAsLong()));
      }
    }
  }

  /**
   * A membership fault cut short by {@link #stopAndHeal} leaves the spare node in the cluster, possibly
   * leading shards that the other nodes no longer hold; the cluster is healed only once it has drained
   * and left. Asks for its removal and waits for it (bounded), then stops it.
   */
  private void finishMembershipFault() throws InterruptedException {
    NodeProcess spare = cluster.spare();
    if (spare == null || !spare.isAlive()) {
      return;
    }
    spare.resume();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MEMBERSHIP_PHASE_MS);
    while (!cluster.removeMember(spare.id()) && System.nanoTime() - deadline < 0) {
      sleepMs(500);
    }
    while (System.nanoTime() - deadline < 0) {
      io.kvstore.proto.v1.ClusterMap m = cluster.clusterMap();
      if (m != null && !hasNode(m, spare.id())) {
        break;
      }
      sleepMs(500);
    }
    spare.kill9();
  }

  /** How long one phase of a membership fault (moves in, drain) may take. */
  static final long MEMBERSHIP_PHASE_MS = 120_000;

  private boolean waitFor(java.util.function.Predicate<io.kvstore.proto.v1.ClusterMap> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MEMBERSHIP_PHASE_MS);
    while (System.nanoTime() - deadline < 0) {
      io.kvstore.proto.v1.ClusterMap m = cluster.clusterMap();
      if (m != null && done.test(m)) {
        return true;
      }
      sleepMs(500);
    }
    return false;
  }

  private static boolean hasNode(io.kvstore.proto.v1.ClusterMap m, long id) {
    return m.getNodesList().stream().anyMatch(n -> n.getId() == id);
  }

  private static long replicasOn(io.kvstore.proto.v1.ClusterMap m, long id) {
    return m.getShardsList().stream()
        .filter(s -> s.getReplicasList().stream().anyMatch(r -> r.getNodeId() == id)).count();
  }

  /** A removed node's data dir holds its old map: the next join must start empty (the log stays). */
  private static void wipe(NodeProcess n) {
    java.nio.file.Path dir = n.dataDir();
    try {
      java.nio.file.Files.deleteIfExists(dir.resolve("cluster-map.pb"));
      java.nio.file.Path store = dir.resolve("store");
      if (java.nio.file.Files.exists(store)) {
        try (var walk = java.nio.file.Files.walk(store)) {
          for (java.nio.file.Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            java.nio.file.Files.delete(p);
          }
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot clear the spare node's data in " + dir, e);
    }
  }

  private void partition() throws InterruptedException {
    int n = cluster.nodes().size();
    List<Integer> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      ids.add(i);
    }
    shuffle(ids);
    Network net = cluster.network();
    String name;
    switch (random.nextInt(4)) {
      case 0 -> {
        int minority = (n - 1) / 2;
        List<Set<Integer>> groups = List.of(new TreeSet<>(ids.subList(0, minority)),
            new TreeSet<>(ids.subList(minority, n)));
        net.partition(groups, n);
        name = "partition majority/minority " + groupsText(groups);
      }
      case 1 -> {
        int leader = pickLeaderPreferred().id();
        TreeSet<Integer> rest = new TreeSet<>(ids);
        rest.remove(leader);
        List<Set<Integer>> groups = List.of(Set.of(leader), rest);
        net.partition(groups, n);
        name = "partition isolating leader n" + leader + " " + groupsText(groups);
      }
      case 2 -> {
        // Two halves that share one node: it sees everyone, the others see only their half (Jepsen's bridge).
        int half = n / 2;
        List<Set<Integer>> groups = List.of(new TreeSet<>(ids.subList(0, half + 1)),
            new TreeSet<>(ids.subList(half, n)));
        net.partition(groups, n);
        name = "partition bridge via n" + ids.get(half) + " " + groupsText(groups);
      }
      default -> {
        int from = pickLeaderPreferred().id();
        int to = ids.get(0) == from ? ids.get(1) : ids.get(0);
        net.drop(from, to);
        name = "one-way loss n" + from + " -> n" + to;
      }
    }
    long start = clock.getAsLong();
    count(FaultKind.PARTITION);
    try {
      sleepMs(between(timing.holdMinMs(), timing.holdMaxMs()));
    } finally {
      // The window is recorded even when the heal fails: stopAndHeal interrupts this thread, and the
      // heal's commands then end early ("interrupted"); stopAndHeal heals the network again itself.
      try {
        net.heal();
      } finally {
        windows.add(new FaultWindow(name, start, clock.getAsLong()));
      }
    }
  }

  private static String groupsText(List<Set<Integer>> groups) {
    StringBuilder b = new StringBuilder();
    for (Set<Integer> g : groups) {
      b.append(b.length() == 0 ? "" : " | ").append('{');
      boolean first = true;
      for (int id : g) {
        b.append(first ? "" : ",").append('n').append(id);
        first = false;
      }
      b.append('}');
    }
    return b.toString();
  }

  /** The node leading the most shards, 3 times in 4; otherwise (or when none answers) a random live node. */
  private NodeProcess pickLeaderPreferred() {
    List<NodeProcess> live = new ArrayList<>();
    for (NodeProcess p : cluster.nodes()) {
      if (p.isAlive() && !p.isPaused()) {
        live.add(p);
      }
    }
    if (live.isEmpty()) {
      return cluster.nodes().get(random.nextInt(cluster.nodes().size()));
    }
    if (random.nextInt(4) < 3) {
      Map<Integer, Integer> led = cluster.leaderships();
      NodeProcess best = null;
      int bestCount = 0;
      for (NodeProcess p : live) {
        int c = led.getOrDefault(p.id(), 0);
        if (c > bestCount) {
          best = p;
          bestCount = c;
        }
      }
      if (best != null) {
        return best;
      }
    }
    return live.get(random.nextInt(live.size()));
  }

  private void count(FaultKind kind) {
    counts.merge(kind, 1, Integer::sum);
  }

  private long between(long min, long max) {
    return max <= min ? min : min + random.nextLong(max - min + 1);
  }

  private void shuffle(List<Integer> list) {
    for (int i = list.size() - 1; i > 0; i--) {
      Collections.swap(list, i, random.nextInt(i + 1));
    }
  }

  private static void sleepMs(long ms) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(ms);
  }
}
