package io.kvstore.server.replica;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.MutableHandlerRegistry;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.storage.StorageOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * N nodes in one JVM, each with its own data dir, its own gRPC server on 127.0.0.1 port 0 and its own
 * {@link NodeReplicas}. A node can be stopped (its replicas closed, its server left up without the Raft
 * service, so peers see errors) and restarted from its data dir.
 */
final class ReplicaCluster implements AutoCloseable {
  static final String CLUSTER_ID = "test-cluster";

  final ClusterMap map;
  final ReplicaOptions options;
  private final Path root;
  private final List<Server> servers = new ArrayList<>();
  private final List<MutableHandlerRegistry> registries = new ArrayList<>();
  private final NodeReplicas[] nodes;

  ReplicaCluster(Path root, int nodeCount, int shardCount, ReplicaOptions options) {
    this.root = root;
    this.options = options;
    this.nodes = new NodeReplicas[nodeCount];
    ClusterMap.Builder m = ClusterMap.newBuilder().setClusterId(CLUSTER_ID).setEpoch(1).setReplicationFactor(3);
    for (int i = 0; i < nodeCount; i++) {
      MutableHandlerRegistry registry = new MutableHandlerRegistry();
      try {
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .fallbackHandlerRegistry(registry).build().start();
        servers.add(s);
        registries.add(registry);
        m.addNodes(Node.newBuilder().setId(i + 1).setAddress("127.0.0.1:" + s.getPort()).setWeight(1));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (int s = 1; s <= shardCount; s++) {
      Shard.Builder shard = Shard.newBuilder().setId(s);
      for (int i = 0; i < Math.min(3, nodeCount); i++) {
        // Replicas on 3 of the nodes, rotating, so with more nodes every node leads some shards.
        shard.addReplicas(Replica.newBuilder().setNodeId((s + i) % nodeCount + 1));
      }
      m.addShards(shard);
    }
    this.map = m.build();
    for (int i = 1; i <= nodeCount; i++) {
      start(i);
    }
  }

  static ReplicaOptions fastOptions() {
    return ReplicaOptions.defaults()
        .withTick(Duration.ofMillis(40))
        .withStorage(StorageOptions.small())
        .withCacheBytes(1 << 20);
  }

  NodeReplicas node(long id) {
    return nodes[(int) id - 1];
  }

  int size() {
    return nodes.length;
  }

  Path dataDir(long id) {
    return root.resolve("node-" + id);
  }

  void start(long id) {
    NodeReplicas r = NodeReplicas.start(id, CLUSTER_ID, dataDir(id), map, options, null);
    nodes[(int) id - 1] = r;
    registries.get((int) id - 1).addService(r.transportService());
  }

  /** Stops a node's replicas as a crash would look to its peers (no leadership hand-off). */
  void stop(long id) {
    NodeReplicas r = nodes[(int) id - 1];
    registries.get((int) id - 1).removeService(r.transportService().bindService());
    r.close();
    nodes[(int) id - 1] = null;
  }

  /**
   * Crashes a node the way kill -9 looks from outside: its port closes at once (connections reset, new
   * ones refused), then its replicas stop (no leadership hand-off). It cannot be restarted on that port.
   */
  void crash(long id) {
    servers.get((int) id - 1).shutdownNow();
    NodeReplicas r = nodes[(int) id - 1];
    r.close();
    nodes[(int) id - 1] = null;
  }

  boolean running(long id) {
    return nodes[(int) id - 1] != null;
  }

  /** The node leading the shard, once exactly one running node says it does and the others agree. */
  long awaitLeader(long shardId) {
    long[] found = new long[1];
    await("a leader for shard " + shardId, () -> {
      found[0] = 0;
      for (int i = 1; i <= nodes.length; i++) {
        if (!running(i)) {
          continue;
        }
        Optional<ShardStatus> s = node(i).status(shardId);
        if (s.isPresent() && s.get().getRole() == RaftRole.RAFT_ROLE_LEADER) {
          if (found[0] != 0) {
            return false;
          }
          found[0] = i;
        }
      }
      return found[0] != 0 && node(found[0]).leaderHint(shardId).nodeId() == found[0];
    });
    return found[0];
  }

  void awaitAllLeaders() {
    for (Shard s : map.getShardsList()) {
      awaitLeader(s.getId());
    }
  }

  /**
   * Proposes on whichever node leads the shard until an answer comes back (at most 30 s), retrying on
   * {@link NotLeaderException}, {@link ShardUnavailableException}, {@link ResultUnknownException} and
   * {@link ProposalQueueFullException}: tests that are not about leader changes must survive the ones an
   * overloaded machine causes. A command with a client id and sequence is applied at most once.
   */
  CommandResult write(long shardId, Command c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long leader = awaitLeader(shardId);
      try {
        return node(leader).propose(shardId, c).get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        boolean retryable = cause instanceof ResultUnknownException || cause instanceof NotLeaderException
            || cause instanceof ShardUnavailableException || cause instanceof ProposalQueueFullException;
        if (!retryable || System.nanoTime() - deadline > 0) {
          throw e;
        }
      } catch (java.util.concurrent.TimeoutException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  List<Long> replicasOf(long shardId) {
    return map.getShardsList().stream().filter(s -> s.getId() == shardId).findFirst().orElseThrow()
        .getReplicasList().stream().map(Replica::getNodeId).toList();
  }

  /** Polls {@code condition} every few milliseconds for at most 20 s (bounded, no fixed sleeps). */
  private static volatile String lastDescription = "";

  /** Every node's view of every shard and its transport counters, for failure messages. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= nodes.length; i++) {
      if (!running(i)) {
        sb.append("node ").append(i).append(": stopped\n");
        continue;
      }
      NodeReplicas n = node(i);
      sb.append("node ").append(i).append(": sent=").append(n.transportStats().messagesSent())
          .append(" sendDropped=").append(n.transportStats().messagesSendDropped())
          .append(" received=").append(n.transportStats().messagesReceived())
          .append(" receiveDropped=").append(n.transportStats().messagesReceiveDropped()).append('\n');
      for (long shard : n.localShards()) {
        sb.append("  ").append(n.status(shard).map(Object::toString).orElse("?").replace('\n', ' ')).append('\n');
      }
    }
    return sb.toString();
  }

  void describeOnTimeout() {
    lastDescription = describe();
  }

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what + "\n" + lastDescription);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  @Override
  public void close() {
    for (int i = 1; i <= nodes.length; i++) {
      if (running(i)) {
        nodes[i - 1].close();
      }
    }
    for (Server s : servers) {
      s.shutdownNow();
    }
  }
}
