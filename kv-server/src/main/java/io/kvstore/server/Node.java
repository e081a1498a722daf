package io.kvstore.server;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.server.grpc.ClusterService;
import io.kvstore.server.metrics.MetricsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * One kvstore node: its gRPC server (public services, health, reflection) and its metrics endpoint.
 *
 * <p>Lifecycle: {@link #start} binds the ports and returns once the node serves; {@link #close} stops
 * accepting requests, lets in-flight ones finish for a bounded time, then releases everything. Not
 * restartable: start a new {@code Node} on the same data dir instead.
 */
public final class Node implements AutoCloseable {
  /** Build version reported in NodeStatus. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  private final NodeConfig config;
  private final long startedAtNanos = System.nanoTime();
  private final HealthStatusManager health = new HealthStatusManager();
  private Server server;
  private MetricsServer metrics;

  private Node(NodeConfig config) {
    this.config = config;
  }

  /** Starts a node and returns once its ports are bound and it answers health checks. */
  public static Node start(NodeConfig config) {
    Node node = new Node(config);
    try {
      node.doStart();
      return node;
    } catch (RuntimeException | IOException e) {
      node.close();
      if (e instanceof IOException io) {
        throw new UncheckedIOException(
            "node " + config.nodeId() + " cannot start: " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  private void doStart() throws IOException {
    Files.createDirectories(config.dataDir());
    if (config.metricsPort() >= 0) {
      metrics = MetricsServer.start(config.grpcHost(), config.metricsPort());
    }
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.grpcHost(), config.grpcPort()))
            .addService(new ClusterService(this::clusterMap, this::nodeStatus))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build()
            .start();
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    health.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.SERVING);
  }

  /** The port the gRPC server listens on (useful when started with port 0). */
  public int grpcPort() {
    return server.getPort();
  }

  /** The port of /metrics, or -1 when metrics are off. */
  public int metricsPort() {
    return metrics == null ? -1 : metrics.port();
  }

  public String grpcAddress() {
    return config.grpcHost() + ":" + grpcPort();
  }

  private io.kvstore.proto.v1.Node self() {
    io.kvstore.proto.v1.Node.Builder b =
        io.kvstore.proto.v1.Node.newBuilder()
            .setId(config.nodeId())
            .setAddress(grpcAddress())
            .setWeight(1);
    if (metrics != null) {
      b.setMetricsAddress(config.grpcHost() + ":" + metrics.port());
    }
    return b.build();
  }

  ClusterMap clusterMap() {
    ClusterMap.Builder map =
        ClusterMap.newBuilder()
            .setClusterId(config.clusterId())
            .setEpoch(1)
            .setReplicationFactor(3)
            .setLimits(
                Limits.newBuilder()
                    .setMaxKeyBytes(4096)
                    .setMaxValueBytes(1 << 20)
                    .setMaxBatchKeys(10_000));
    for (NodeConfig.InitialMember m : config.initialCluster()) {
      map.addNodes(
          m.id() == config.nodeId()
              ? self()
              : io.kvstore.proto.v1.Node.newBuilder()
                  .setId(m.id())
                  .setAddress(m.address())
                  .setWeight(1)
                  .build());
    }
    if (config.initialCluster().stream().noneMatch(m -> m.id() == config.nodeId())) {
      map.addNodes(self());
    }
    return map.build();
  }

  NodeStatus nodeStatus() {
    return NodeStatus.newBuilder()
        .setNode(self())
        .setClusterId(config.clusterId())
        .setEpoch(1)
        .setVersion(VERSION)
        .setUptimeMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAtNanos))
        .build();
  }

  /** Blocks until the gRPC server terminates (after {@link #close} from another thread). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    health.enterTerminalState();
    if (server != null) {
      server.shutdown();
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (metrics != null) {
      metrics.close();
    }
  }
}
