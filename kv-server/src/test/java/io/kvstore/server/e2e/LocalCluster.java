package io.kvstore.server.e2e;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.Node;
import io.kvstore.server.NodeConfig;
import io.kvstore.server.membership.MembershipOptions;
import io.kvstore.server.replica.ReplicaOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of real nodes in this JVM: real replicas (Raft, RocksDB in temp dirs), real gRPC on loopback
 * ports picked by the OS. Nodes can be stopped ({@link Node#close}) and restarted on the same port and data
 * dir. Clients use plain generated stubs.
 */
public final class LocalCluster implements AutoCloseable {
  public static final String CLUSTER_ID = "e2e";

  private final Path dir;
  private final int shards;
  private final ReplicaOptions options;
  private final MembershipOptions membership;
  private final Map<Long, Node> running = new HashMap<>();
  private final Map<Long, Integer> ports = new HashMap<>();
  /** Concurrent: tests call {@link #channel} from background threads too (keep-alive loops). */
  private final Map<Long, ManagedChannel> channels = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<NodeConfig.InitialMember> members = new ArrayList<>();

  /**
   * Fast ticks (40 ms; elections in 400-800 ms, slow enough not to fire spuriously on a loaded 2-core
   * machine) and snapshots every {@code snapshotEntries} entries.
   */
  public static ReplicaOptions fastOptions(long snapshotEntries) {
    return ReplicaOptions.defaults()
        .withTick(Duration.ofMillis(40))
        .withSnapshotEntries(snapshotEntries);
  }

  /**
   * Without leader balancing: tests that look at where leaders are (routing, cached leaders, kills of a
   * shard's leader) need leaders to stay where elections put them; balancing has its own tests, which
   * pass the {@link MembershipOptions} they want.
   */
  public LocalCluster(Path dir, int size, int shards, ReplicaOptions options) {
    this(dir, size, shards, options, MembershipOptions.defaults().withLeaderBalancePeriod(Duration.ZERO));
  }

  /** With {@code membership} on every node (e.g. a short failure timeout). */
  public LocalCluster(Path dir, int size, int shards, ReplicaOptions options, MembershipOptions membership) {
    this.dir = dir;
    this.shards = shards;
    this.options = options;
    this.membership = membership;
    List<Node> bound = new ArrayList<>();
    try {
      for (long id = 1; id <= size; id++) {
        Node node = Node.bind(config(id, 0), Node.REAL_REPLICAS).withMembershipOptions(membership);
        bound.add(node);
        running.put(id, node);
        ports.put(id, node.grpcPort());
        members.add(new NodeConfig.InitialMember(id, node.grpcAddress()));
      }
      for (Node node : bound) {
        node.serve(members);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private NodeConfig config(long id, int port) {
    return new NodeConfig(id, CLUSTER_ID, "127.0.0.1", port, -1, dir.resolve("node-" + id), List.of())
        .withShards(shards, 3)
        .withReplicaOptions(options)
        .withShutdownTimeout(Duration.ofSeconds(2));
  }

  public List<Long> ids() {
    return members.stream().map(NodeConfig.InitialMember::id).toList();
  }

  public Node node(long id) {
    Node n = running.get(id);
    if (n == null) {
      throw new IllegalStateException("node " + id + " is stopped");
    }
    return n;
  }

  public boolean isRunning(long id) {
    return running.containsKey(id);
  }

  /** Closes a node (the graceful path: leaderships handed away, storage flushed and closed). */
  public void stop(long id) {
    Node n = running.remove(id);
    ManagedChannel ch = channels.remove(id);
    if (ch != null) {
      ch.shutdownNow();
    }
    if (n != null) {
      n.close();
    }
  }

  /**
   * Starts a new node {@code id} (port 0, its own data dir) that joins the cluster through node
   * {@code seed} with {@code weight}; returns once it serves (its replicas arrive later).
   */
  public Node join(long id, long seed, int weight) {
    if (running.containsKey(id)) {
      throw new IllegalStateException("node " + id + " is running");
    }
    Node n = Node.bind(config(id, 0), Node.REAL_REPLICAS).withMembershipOptions(membership);
    try {
      n.join("127.0.0.1:" + ports.get(seed), weight, Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      n.close();
      throw e;
    }
    running.put(id, n);
    ports.put(id, n.grpcPort());
    return n;
  }

  /** A node bound on port 0 that has not joined or served yet (for refused-join tests). */
  public Node bindOnly(long id, String clusterId) {
    return Node.bind(new NodeConfig(id, clusterId, "127.0.0.1", 0, -1, dir.resolve("bound-" + id + "-" + clusterId),
        List.of()).withShards(shards, 3).withReplicaOptions(options), Node.REAL_REPLICAS);
  }

  /** The address of a node of this cluster. */
  public String address(long id) {
    return "127.0.0.1:" + ports.get(id);
  }

  /** Starts a stopped node again on its port and data dir: it resumes from disk. */
  public Node restart(long id) {
    if (running.containsKey(id)) {
      throw new IllegalStateException("node " + id + " is running");
    }
    Node n = Node.bind(config(id, ports.get(id)), Node.REAL_REPLICAS).withMembershipOptions(membership);
    running.put(id, n);
    n.serve(List.of()); // the map comes from the data dir
    return n;
  }

  public ManagedChannel channel(long id) {
    return channels.computeIfAbsent(
        id,
        i ->
            NettyChannelBuilder.forAddress("127.0.0.1", ports.get(i))
                .usePlaintext()
                .maxInboundMessageSize(16 << 20)
                .build());
  }

  public KVGrpc.KVBlockingStub kv(long id) {
    return KVGrpc.newBlockingStub(channel(id)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  public ClusterGrpc.ClusterBlockingStub cluster(long id) {
    return ClusterGrpc.newBlockingStub(channel(id)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** The running node whose replica of {@code shard} is its leader, if any. */
  public Optional<Long> leaderOf(long shard) {
    for (Map.Entry<Long, Node> e : running.entrySet()) {
      Optional<ShardStatus> s = e.getValue().replicas().status(shard);
      if (s.isPresent() && s.get().getRole() == RaftRole.RAFT_ROLE_LEADER) {
        return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }

  /** Waits until every shard has a leader among the running nodes. */
  public void awaitLeaders(Duration timeout) {
    Await.until(
        timeout,
        "every shard has a leader",
        () -> {
          for (long s = 1; s <= shards; s++) {
            if (leaderOf(s).isEmpty()) {
              return false;
            }
          }
          return true;
        });
  }

  @Override
  public void close() {
    for (ManagedChannel ch : channels.values()) {
      ch.shutdownNow();
    }
    channels.clear();
    // In parallel: a node that closes last would otherwise wait its whole transfer timeout for peers
    // that are already gone.
    List<Thread> closers = new ArrayList<>();
    for (Node n : running.values()) {
      Thread t = new Thread(n::close, "close-node-" + n.nodeId());
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    running.clear();
  }
}
