package io.kvstore.bench.chaos;

import io.kvstore.client.Endpoint;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.ShardStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of real kvstore nodes for a chaos run: each node a child JVM ({@link NodeProcess}) in its own
 * network ({@link Network}), with frequent snapshots (every {@code snapshotEntries} applied entries, so
 * lagging or restarted followers catch up by InstallSnapshot) and LEASE reads served from the leader lease.
 *
 * <p>{@link #close()} stops exactly the processes it started (by PID) and removes the network. Thread-safe
 * for the status queries; starting and closing are done by one thread.
 */
final class ChaosCluster implements AutoCloseable {
  /** Node flags every chaos node gets (besides id, host, port, data directory and the initial cluster). */
  static final int SNAPSHOT_ENTRIES = 100;

  private final Network network;
  private final List<NodeProcess> nodes = new ArrayList<>();
  /** The node membership faults add and remove (null without them); not in {@link #nodes}. */
  private final NodeProcess spare;
  private final List<Endpoint> endpoints = new ArrayList<>();
  private final KvClient statusClient;
  private final List<Integer> metricsPorts = new ArrayList<>();
  private final Map<Integer, Long> installedBeforeRestarts = new java.util.concurrent.ConcurrentHashMap<>();

  ChaosCluster(Path dir, int nodeCount, int shards, Network network) throws IOException {
    this(dir, nodeCount, shards, network, true);
  }

  /** @param leaseReads whether the nodes serve reads from the Raft leader lease ({@code --lease-reads}) */
  ChaosCluster(Path dir, int nodeCount, int shards, Network network, boolean leaseReads) throws IOException {
    this(dir, nodeCount, shards, network, leaseReads, false);
  }

  /**
   * @param withSpare whether to prepare a spare node (id {@code nodeCount + 1}, not started) that joins the
   *     cluster with {@code --join} when the nemesis adds it (membership faults); the network must have an
   *     address for it
   */
  ChaosCluster(Path dir, int nodeCount, int shards, Network network, boolean leaseReads, boolean withSpare)
      throws IOException {
    this.network = network;
    List<Integer> ports = new ArrayList<>();
    for (int i = 1; i <= nodeCount + (withSpare ? 1 : 0); i++) {
      ports.add(network.canPartition() ? 7001 : freePort()); // a namespace per node: no port clashes
      metricsPorts.add(network.canPartition() ? 9101 : freePort());
    }
    StringBuilder initial = new StringBuilder();
    for (int i = 1; i <= nodeCount; i++) {
      Endpoint e = new Endpoint(network.address(i), ports.get(i - 1));
      endpoints.add(e);
      initial.append(i == 1 ? "" : ",").append(i).append('=').append(e.host()).append(':').append(e.port());
    }
    List<String> common = new ArrayList<>(List.of(
        "--initial-cluster", initial.toString(),
        "--shards", Integer.toString(shards),
        "--replication", Integer.toString(Math.min(3, nodeCount)),
        "--snapshot-entries", Integer.toString(SNAPSHOT_ENTRIES),
        "--shutdown-timeout-ms", "2000"));
    if (leaseReads) {
      common.add("--lease-reads");
    }
    String classPath = ClassPathSnapshot.take(dir.resolve("classpath"));
    for (int i = 1; i <= nodeCount; i++) {
      List<String> flags = new ArrayList<>(common);
      flags.addAll(List.of("--metrics-port", Integer.toString(metricsPorts.get(i - 1))));
      nodes.add(new NodeProcess(i, network.address(i), ports.get(i - 1), dir.resolve("node-" + i),
          network.launchPrefix(i), flags, classPath));
    }
    if (withSpare) {
      int id = nodeCount + 1;
      Endpoint seed = endpoints.get(0);
      List<String> flags = new ArrayList<>(common.subList(2, common.size())); // not the initial cluster
      flags.addAll(List.of("--join", seed.host() + ":" + seed.port(),
          "--metrics-port", Integer.toString(metricsPorts.get(id - 1))));
      spare = new NodeProcess(id, network.address(id), ports.get(id - 1), dir.resolve("node-" + id),
          network.launchPrefix(id), flags, classPath);
    } else {
      spare = null;
    }
    statusClient = KvClient.builder().seeds(endpoints).deadline(Duration.ofSeconds(2))
        .attemptTimeout(Duration.ofSeconds(2)).build();
    try {
      for (NodeProcess n : nodes) {
        n.start();
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The spare node of membership faults, or null. */
  NodeProcess spare() {
    return spare;
  }

  /** The map as the cluster serves it now, or null when no node answers within a few seconds. */
  io.kvstore.proto.v1.ClusterMap clusterMap() {
    try {
      return statusClient.clusterMap().get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Asks the cluster to drain and remove a node; false when it did not accept (yet). */
  boolean removeMember(long nodeId) {
    try {
      statusClient.removeMember(nodeId).get(10, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  List<Endpoint> endpoints() {
    return endpoints;
  }

  List<NodeProcess> nodes() {
    return nodes;
  }

  NodeProcess node(int id) {
    return nodes.get(id - 1);
  }

  /** The Prometheus port of node {@code id}. */
  int metricsPort(int id) {
    return metricsPorts.get(id - 1);
  }

  Network network() {
    return network;
  }

  /**
   * Waits until every node answers its status and every shard has a leader that all running nodes agree
   * on (at most {@code timeout}); throws with the nodes' logs otherwise.
   */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no status yet";
    while (System.nanoTime() < deadline) {
      for (NodeProcess n : nodes) {
        if (!n.isAlive()) {
          throw new IllegalStateException("node " + n.id() + " exited:\n" + n.logTail(30));
        }
      }
      List<NodeStatus> statuses = new ArrayList<>();
      for (NodeProcess n : nodes) {
        NodeStatus s = status(n);
        if (s == null) {
          last = "node " + n.id() + " does not answer its status";
          break;
        }
        statuses.add(s);
      }
      if (statuses.size() == nodes.size()) {
        String missing = shardWithoutLeader(statuses);
        if (missing == null) {
          return;
        }
        last = missing;
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    StringBuilder logs = new StringBuilder();
    for (NodeProcess n : nodes) {
      logs.append("\n--- node ").append(n.id()).append(":\n").append(n.logTail(15));
    }
    throw new IllegalStateException("cluster not ready within " + timeout.toSeconds() + " s: " + last + logs);
  }

  private static String shardWithoutLeader(List<NodeStatus> statuses) {
    Map<Long, Long> leaderOf = new HashMap<>();
    Set<Long> shards = new HashSet<>();
    for (NodeStatus s : statuses) {
      for (ShardStatus sh : s.getShardsList()) {
        shards.add(sh.getShardId());
        if (sh.getRole() == RaftRole.RAFT_ROLE_LEADER) {
          leaderOf.put(sh.getShardId(), s.getNode().getId());
        }
      }
    }
    for (long shard : shards) {
      if (!leaderOf.containsKey(shard)) {
        return "shard " + shard + " has no leader";
      }
    }
    return shards.isEmpty() ? "no shard reported" : null;
  }

  /** The node's status, or null when it does not answer within 2 s (down, paused, cut off). */
  NodeStatus status(NodeProcess n) {
    if (!n.isAlive() || n.isPaused()) {
      return null;
    }
    try {
      return statusClient.nodeStatus(n.address()).get(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Shards each reachable node leads now (0 for nodes that do not answer). */
  Map<Integer, Integer> leaderships() {
    Map<Integer, Integer> counts = new HashMap<>();
    for (NodeProcess n : nodes) {
      NodeStatus s = status(n);
      int led = 0;
      if (s != null) {
        for (ShardStatus sh : s.getShardsList()) {
          if (sh.getRole() == RaftRole.RAFT_ROLE_LEADER) {
            led++;
          }
        }
      }
      counts.put(n.id(), led);
    }
    return counts;
  }

  /** Per node, the highest snapshot index of its shards (0: none taken or installed), for the report. */
  Map<Integer, Long> snapshotIndexes() {
    Map<Integer, Long> out = new HashMap<>();
    for (NodeProcess n : nodes) {
      NodeStatus s = status(n);
      long max = 0;
      if (s != null) {
        for (ShardStatus sh : s.getShardsList()) {
          max = Math.max(max, sh.getSnapshotIndex());
        }
      }
      out.put(n.id(), max);
    }
    return out;
  }

  /**
   * Snapshots installed by followers (kvstore_raft_snapshots_installed) on every node since the cluster
   * started: the nodes' counters now plus what was banked before restarts ({@link #bankSnapshotCount}).
   * Nodes that do not answer count what was banked.
   */
  long snapshotsInstalled() {
    long total = 0;
    for (NodeProcess n : nodes) {
      total += installedBeforeRestarts.getOrDefault(n.id(), 0L) + Math.max(0, scrapeInstalled(n));
    }
    return total;
  }

  /** Reads node {@code n}'s counter before it is killed, since a restart starts it from zero. */
  void bankSnapshotCount(NodeProcess n) {
    long c = scrapeInstalled(n);
    if (c > 0) {
      installedBeforeRestarts.merge(n.id(), c, Long::sum);
    }
  }

  private long scrapeInstalled(NodeProcess n) {
    if (!n.isAlive() || n.isPaused()) {
      return -1;
    }
    try {
      java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(2)).build();
      String host = network.address(n.id());
      java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://" + host + ":" + metricsPorts.get(n.id() - 1) + "/metrics"))
          .timeout(Duration.ofSeconds(3)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      long sum = 0;
      for (String line : r.body().split("\n")) {
        if (line.startsWith("kvstore_raft_snapshots_installed")) {
          String[] parts = line.trim().split("\\s+");
          sum += (long) Double.parseDouble(parts[parts.length - 1]);
        }
      }
      return sum;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Stops every node this cluster started (by PID), then removes the network. Never throws. */
  @Override
  public void close() {
    List<NodeProcess> all = new ArrayList<>(nodes);
    if (spare != null) {
      all.add(spare);
    }
    for (NodeProcess n : all) {
      n.resume();
    }
    List<Thread> stoppers = new ArrayList<>();
    for (NodeProcess n : all) {
      Thread t = new Thread(() -> n.stop(10), "stop-node-" + n.id());
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    statusClient.close();
    network.close();
  }
}
