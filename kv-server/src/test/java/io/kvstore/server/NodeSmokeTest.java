package io.kvstore.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.NodeStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node started on loopback answers what any gRPC client and Prometheus expect of it. */
class NodeSmokeTest {
  @TempDir Path dataDir;
  private Node node;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    node =
        Node.start(
            new NodeConfig(
                7, "smoke", "127.0.0.1", 0, 0, dataDir,
                NodeConfig.InitialMember.parseList("7=127.0.0.1:1")));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    node.close();
  }

  @Test
  void answersHealthChecksForTheNodeAndTheClusterService() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(
            health
                .check(HealthCheckRequest.newBuilder().setService(ClusterGrpc.SERVICE_NAME).build())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void reportsItsIdentityAndTheClusterItBelongsTo() {
    ClusterGrpc.ClusterBlockingStub cluster = ClusterGrpc.newBlockingStub(channel);
    NodeStatus status = cluster.getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
    assertThat(status.getNode().getId()).isEqualTo(7);
    assertThat(status.getClusterId()).isEqualTo("smoke");
    assertThat(status.getNode().getAddress()).isEqualTo("127.0.0.1:" + node.grpcPort());

    var map = cluster.getClusterMap(GetClusterMapRequest.getDefaultInstance());
    assertThat(map.getClusterId()).isEqualTo("smoke");
    assertThat(map.getLimits().getMaxKeyBytes()).isEqualTo(4096);
    var unchanged =
        cluster.getClusterMap(
            GetClusterMapRequest.newBuilder().setKnownEpoch(map.getEpoch()).build());
    assertThat(unchanged.getUnchanged()).isTrue();
  }

  @Test
  void listsItsServicesThroughServerReflection() throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    services.complete(
                        r.getListServicesResponse().getServiceList().stream()
                            .map(s -> s.getName())
                            .toList());
                  }

                  @Override
                  public void onError(Throwable t) {
                    services.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(services.get(10, TimeUnit.SECONDS))
        .contains("kvstore.v1.Cluster", "grpc.health.v1.Health");
    requests.onCompleted();
  }

  @Test
  void servesPrometheusMetrics() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("jvm_memory_used_bytes");
  }
}
