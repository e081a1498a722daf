package io.kvstore.server.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.server.Node;
import io.kvstore.server.NodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * Nodes on loopback (real gRPC, port 0) over {@link FakeReplicas}: for testing the services alone. Node i
 * (1-based) has id i; {@code localShards.apply(i)} lists the shards it hosts.
 */
final class FakeCluster implements AutoCloseable {
  static final String CLUSTER_ID = "fake";
  static final int SHARDS = 8;

  final List<Node> nodes = new ArrayList<>();
  final List<FakeReplicas> replicas = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  FakeCluster(Path dir, int size, LongFunction<List<Long>> localShards, LongFunction<Long> leaderOf) {
    List<NodeConfig.InitialMember> members = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      long id = i;
      FakeReplicas fake = new FakeReplicas(id, localShards.apply(id), leaderOf);
      replicas.add(fake);
      NodeConfig config =
          new NodeConfig(id, CLUSTER_ID, "127.0.0.1", 0, -1, dir.resolve("node-" + i), List.of())
              .withShards(SHARDS, 3);
      Node node = Node.bind(config, (c, map, registry) -> fake);
      nodes.add(node);
      members.add(new NodeConfig.InitialMember(id, node.grpcAddress()));
    }
    for (Node node : nodes) {
      node.serve(members);
    }
  }

  static List<Long> allShards() {
    List<Long> out = new ArrayList<>();
    for (long s = 1; s <= SHARDS; s++) {
      out.add(s);
    }
    return out;
  }

  FakeReplicas replicas(int nodeId) {
    return replicas.get(nodeId - 1);
  }

  Node node(int nodeId) {
    return nodes.get(nodeId - 1);
  }

  KVGrpc.KVBlockingStub kv(int nodeId) {
    ManagedChannel ch =
        NettyChannelBuilder.forTarget(node(nodeId).grpcAddress()).usePlaintext().build();
    channels.add(ch);
    return KVGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  ManagedChannel channel(int nodeId) {
    ManagedChannel ch =
        NettyChannelBuilder.forTarget(node(nodeId).grpcAddress()).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  @Override
  public void close() {
    for (ManagedChannel ch : channels) {
      ch.shutdownNow();
    }
    for (Node node : nodes) {
      node.close();
    }
  }
}
