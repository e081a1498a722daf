package io.kvstore.bench.scaling;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.kvstore.client.Endpoint;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.NodeMain;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A kvstore cluster of real nodes for a scaling measurement: each node a child JVM ({@link NodeMain}, this
 * JVM's class path) on a free loopback port with its own data directory. Nodes can be killed with SIGKILL
 * and restarted on the same port and data. {@link #close()} stops exactly these processes (SIGTERM, then
 * SIGKILL after a grace period); nothing else is touched. Not thread-safe: one caller thread.
 */
public final class NodeCluster implements AutoCloseable {
  private final Path dir;
  private final int shards;
  private final NodeJvm jvm;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Endpoint> endpoints = new ArrayList<>();
  private final Process[] processes;
  private final ManagedChannel[] channels;
  private final String initial;

  /**
   * Starts {@code nodes} nodes of a new cluster with {@code shards} shards; returns once started (not yet
   * serving: see {@link #awaitLeaders}).
   *
   * @param jvm how the nodes' JVMs start
   */
  public NodeCluster(Path dir, int nodes, int shards, NodeJvm jvm) throws IOException {
    this.dir = dir;
    this.shards = shards;
    this.jvm = jvm;
    this.processes = new Process[nodes];
    this.channels = new ManagedChannel[nodes];
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < nodes; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        ports.add(s.getLocalPort());
      }
      b.append(i == 0 ? "" : ",").append(i + 1).append("=127.0.0.1:").append(ports.get(i));
      endpoints.add(new Endpoint("127.0.0.1", ports.get(i)));
    }
    initial = b.toString();
    try {
      for (int i = 0; i < nodes; i++) {
        start(i + 1);
        channels[i] = ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(i)).usePlaintext().build();
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  int size() {
    return processes.length;
  }

  /** The OS process id of node {@code id} (1-based). */
  long pid(int id) {
    return processes[id - 1].pid();
  }

  boolean alive(int id) {
    return processes[id - 1].isAlive();
  }

  /** Sends SIGKILL to node {@code id} (a process this cluster started) and waits for it to be gone. */
  void kill9(int id) throws InterruptedException {
    Process p = processes[id - 1];
    p.destroyForcibly(); // SIGKILL on Linux
    p.waitFor(30, TimeUnit.SECONDS);
  }

  /** Starts node {@code id} again on its port and data directory (after {@link #kill9}). */
  void restart(int id) throws IOException {
    if (processes[id - 1].isAlive()) {
      throw new IllegalStateException("node " + id + " is still running");
    }
    start(id);
  }

  private void start(int id) throws IOException {
    Path data = dir.resolve("node-" + id);
    Files.createDirectories(data);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm.arguments());
    command.addAll(List.of(
        "-cp", System.getProperty("java.class.path"),
        NodeMain.class.getName(),
        "--node-id", Integer.toString(id),
        "--host", "127.0.0.1",
        "--port", Integer.toString(ports.get(id - 1)),
        "--metrics-port", "-1",
        "--data-dir", data.toString(),
        "--initial-cluster", initial,
        "--shards", Integer.toString(shards),
        "--shutdown-timeout-ms", "2000"));
    processes[id - 1] = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("node.log").toFile()))
        .start();
  }

  /** GetNodeStatus of node {@code id}, or null when it does not answer within {@code timeout}. */
  NodeStatus status(int id, Duration timeout) {
    try {
      return ClusterGrpc.newBlockingStub(channels[id - 1])
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The leader of every shard that has one, as the nodes report it (a node reporting itself LEADER), over
   * the nodes alive now; shard id → node id.
   */
  public Map<Long, Integer> leaders() {
    Map<Long, Integer> leaders = new HashMap<>();
    for (int id = 1; id <= processes.length; id++) {
      if (!processes[id - 1].isAlive()) {
        continue;
      }
      NodeStatus s = status(id, Duration.ofSeconds(5));
      if (s == null) {
        continue;
      }
      for (ShardStatus shard : s.getShardsList()) {
        if (shard.getRole() == RaftRole.RAFT_ROLE_LEADER) {
          leaders.put(shard.getShardId(), id);
        }
      }
    }
    return leaders;
  }

  /**
   * Waits until every shard has a leader and every live node reports all its shards, polling every 200 ms.
   *
   * @throws IllegalStateException with the nodes' logs' tails when a node exits or time runs out
   */
  public void awaitLeaders(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      assertAlive();
      if (leaders().size() == shards) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + leaders().size() + " of " + shards
            + " shards had a leader after " + timeout.toSeconds() + " s; node 1's log:\n" + logTail(1, 20));
      }
      Thread.sleep(200);
    }
  }

  void assertAlive() {
    for (int i = 0; i < processes.length; i++) {
      if (!processes[i].isAlive()) {
        throw new IllegalStateException("node " + (i + 1) + " exited:\n" + logTail(i + 1, 30));
      }
    }
  }

  /** The lines of node {@code id}'s log that contain {@code text}. */
  long logLinesContaining(int id, String text) {
    try (var lines = Files.lines(dir.resolve("node-" + id).resolve("node.log"))) {
      return lines.filter(l -> l.contains(text)).count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  String logTail(int id, int n) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("node-" + id).resolve("node.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException | java.io.UncheckedIOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Stops the nodes this cluster started: SIGTERM, up to 15 s, then SIGKILL. */
  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      if (c != null) {
        c.shutdownNow();
      }
    }
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }
    for (Process p : processes) {
      if (p == null) {
        continue;
      }
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
