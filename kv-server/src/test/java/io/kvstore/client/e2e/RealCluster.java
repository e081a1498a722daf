package io.kvstore.client.e2e;

import io.kvstore.client.KvClient;
import io.kvstore.client.KvClientBuilder;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.server.Node;
import io.kvstore.server.NodeConfig;
import io.kvstore.server.replica.ReplicaOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Real kvstore nodes in this JVM for the client's end-to-end tests: each binds port 0 on 127.0.0.1, then
 * all serve the same initial cluster. Short Raft ticks keep elections fast. {@link #kill} closes a node
 * at once (no leadership hand-off), {@link #restart} starts it again on the same port and data dir.
 */
final class RealCluster implements AutoCloseable {
  private static final io.kvstore.server.membership.MembershipOptions NO_BALANCING =
      io.kvstore.server.membership.MembershipOptions.defaults().withLeaderBalancePeriod(java.time.Duration.ZERO);

  static final String CLUSTER_ID = "e2e";

  private final Path dir;
  private final int shards;
  private final Node[] nodes;
  private final int[] ports;
  private final List<NodeConfig.InitialMember> members = new ArrayList<>();

  RealCluster(Path dir, int size, int shards) {
    this(dir, size, shards, null);
  }

  /** {@code weights[i]}: the weight of node i+1 in its config (null: all 1). */
  RealCluster(Path dir, int size, int shards, int[] weights) {
    this.dir = dir;
    this.shards = shards;
    nodes = new Node[size + 1];
    ports = new int[size + 1];
    for (int id = 1; id <= size; id++) {
      // No leader balancing: these tests check where the client routes, so leaders must stay where
      // elections put them (with weights 1, 2, 3 the balancer would move them while a test looks).
      nodes[id] = Node.bind(config(id, 0), Node.REAL_REPLICAS).withMembershipOptions(NO_BALANCING);
      ports[id] = nodes[id].grpcPort();
      members.add(new NodeConfig.InitialMember(id, "127.0.0.1:" + ports[id],
          weights == null ? 1 : weights[id - 1]));
    }
    for (int id = 1; id <= size; id++) {
      nodes[id].serve(members);
    }
  }

  private NodeConfig config(long id, int port) {
    return new NodeConfig(id, CLUSTER_ID, "127.0.0.1", port, -1, dir.resolve("node-" + id), List.of())
        .withShards(shards, 3)
        .withReplicaOptions(ReplicaOptions.defaults().withTick(Duration.ofMillis(20)))
        .withShutdownTimeout(Duration.ofMillis(10));
  }

  int size() {
    return nodes.length - 1;
  }

  String seeds() {
    List<String> all = new ArrayList<>();
    for (int id = 1; id <= size(); id++) {
      all.add("127.0.0.1:" + ports[id]);
    }
    return String.join(",", all);
  }

  String address(long id) {
    return "127.0.0.1:" + ports[(int) id];
  }

  Node node(long id) {
    return nodes[(int) id];
  }

  /** Closes node {@code id} at once: its connections are refused until {@link #restart}. */
  void kill(long id) {
    nodes[(int) id].close();
    nodes[(int) id] = null;
  }

  void restart(long id) {
    Node n = Node.bind(config(id, ports[(int) id]), Node.REAL_REPLICAS).withMembershipOptions(NO_BALANCING);
    n.serve(List.of());
    nodes[(int) id] = n;
  }

  KvClientBuilder client() {
    return KvClient.builder().seeds(seeds()).deadline(Duration.ofSeconds(10)).attemptTimeout(Duration.ofSeconds(2));
  }

  /** The node that leads {@code shardId} now (its replica says so, in the highest term), or 0. */
  long leaderOf(long shardId) {
    long leader = 0;
    long term = -1;
    for (int id = 1; id <= size(); id++) {
      if (nodes[id] == null) {
        continue;
      }
      var status = nodes[id].replicas().status(shardId);
      if (status.isPresent() && status.get().getRole() == RaftRole.RAFT_ROLE_LEADER
          && status.get().getTerm() > term) {
        leader = id;
        term = status.get().getTerm();
      }
    }
    return leader;
  }

  /** Calls of {@code fullMethod} (e.g. "kvstore.v1.KV/Get") node {@code id} answered, any status. */
  long served(long id, String fullMethod) {
    return io.kvstore.server.metrics.ServedCalls.count(nodes[(int) id].registry(), fullMethod);
  }

  /** Waits (bounded) until {@code condition} holds. */
  static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  @Override
  public void close() {
    for (int id = 1; id <= size(); id++) {
      if (nodes[id] != null) {
        nodes[id].close();
      }
    }
  }
}
