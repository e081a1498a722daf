package io.kvstore.server.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.MutableHandlerRegistry;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.server.replica.NodeReplicas;
import io.kvstore.server.replica.ReplicaOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One real node (RocksDB in {@code dir}, its Raft transport on a gRPC server on 127.0.0.1, port 0) whose
 * shards 1..n each have this node as their only replica: every shard leads here and every write is this
 * node's own log append, apply and fsync. Restartable on the same directory.
 */
final class SingleReplicaNode implements AutoCloseable {
  private final Path dir;
  private final int shards;
  private final ReplicaOptions options;
  private Server server;
  private NodeReplicas node;

  SingleReplicaNode(Path dir, int shards, ReplicaOptions options) throws IOException {
    this.dir = dir;
    this.shards = shards;
    this.options = options;
    start();
  }

  NodeReplicas node() {
    return node;
  }

  /** Starts the node on its directory (again) and waits until every shard leads. */
  void start() throws IOException {
    MutableHandlerRegistry registry = new MutableHandlerRegistry();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .fallbackHandlerRegistry(registry).build().start();
    ClusterMap.Builder map = ClusterMap.newBuilder().setClusterId("c").setEpoch(1)
        .addNodes(Node.newBuilder().setId(1).setAddress("127.0.0.1:" + server.getPort()));
    for (int s = 1; s <= shards; s++) {
      map.addShards(Shard.newBuilder().setId(s).addReplicas(Replica.newBuilder().setNodeId(1)));
    }
    node = NodeReplicas.start(1, "c", dir, map.build(), options, null);
    registry.addService(node.transportService());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int s = 1; s <= shards; s++) {
      long id = s;
      while (node.status(id).get().getRole() != RaftRole.RAFT_ROLE_LEADER) {
        assertThat(System.nanoTime() - deadline).as("shard %d elects itself", id).isNegative();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
  }

  /** Stops the node (its store is closed cleanly) and its server. */
  void stop() {
    if (node != null) {
      node.close();
      node = null;
    }
    if (server != null) {
      server.shutdownNow();
      server = null;
    }
  }

  @Override
  public void close() {
    stop();
  }
}
