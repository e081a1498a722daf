package io.kvstore.bench.e2e;

import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.Node;
import io.kvstore.server.NodeConfig;
import io.kvstore.server.replica.ReplicaOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A local cluster of real nodes in this JVM for benchmarks: real Raft, RocksDB (fsync on) in a temporary
 * directory, gRPC on loopback ports the OS picks, no metrics port. {@link #close()} stops every node and
 * deletes the directory; nothing outside it is touched.
 */
public final class InProcessCluster implements AutoCloseable {
  private final Path dir;
  private final int shards;
  private final List<Node> nodes = new ArrayList<>();

  /** Starts {@code size} nodes with {@code shards} shards and waits until every shard has a leader. */
  public InProcessCluster(int size, int shards, ReplicaOptions options, Duration timeout) {
    this.shards = shards;
    try {
      String base = System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"));
      dir = Files.createTempDirectory(Path.of(base), "kvstore-e2e-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      List<NodeConfig.InitialMember> members = new ArrayList<>();
      for (long id = 1; id <= size; id++) {
        NodeConfig config = new NodeConfig(id, "bench", "127.0.0.1", 0, -1, dir.resolve("node-" + id), List.of())
            .withShards(shards, Math.min(3, size))
            .withReplicaOptions(options)
            .withShutdownTimeout(Duration.ofSeconds(2));
        Node node = Node.bind(config, Node.REAL_REPLICAS);
        nodes.add(node);
        members.add(new NodeConfig.InitialMember(id, node.grpcAddress()));
      }
      for (Node node : nodes) {
        node.serve(members);
      }
      awaitLeaders(timeout);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** {@code host:port,...} of every node, for {@code KvClientBuilder.seeds}. */
  public String seeds() {
    return nodes.stream().map(Node::grpcAddress).collect(Collectors.joining(","));
  }

  private void awaitLeaders(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long s = 1; s <= shards; s++) {
      while (!hasLeader(s)) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("shard " + s + " has no leader after " + timeout);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
  }

  private boolean hasLeader(long shard) {
    for (Node n : nodes) {
      Optional<ShardStatus> st = n.replicas().status(shard);
      if (st.isPresent() && st.get().getRole() == RaftRole.RAFT_ROLE_LEADER) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    // In parallel: a node closing last would wait its whole transfer timeout for peers already gone.
    List<Thread> closers = new ArrayList<>();
    for (Node n : nodes) {
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
    nodes.clear();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
