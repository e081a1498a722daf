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
import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.server.e2e.Await;
import io.kvstore.server.replica.ReplicaOptions;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
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
        Node.bind(
            new NodeConfig(7, "smoke", "127.0.0.1", 0, 0, dataDir, List.of())
                .withReplicaOptions(ReplicaOptions.defaults().withTick(Duration.ofMillis(20))),
            Node.REAL_REPLICAS);
    node.serve(List.of(new NodeConfig.InitialMember(7, node.grpcAddress())));
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
        .contains("kvstore.v1.Cluster", "kvstore.v1.KV", "grpc.health.v1.Health");
    requests.onCompleted();
  }

  @Test
  void aSingleNodeClusterServesWritesAndReads() {
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    ByteString key = ByteString.copyFromUtf8("hello");
    // The single-voter groups elect themselves; until then the node answers UNAVAILABLE.
    PutResponse put =
        Await.value(
            Duration.ofSeconds(20),
            () ->
                kv.put(
                    PutRequest.newBuilder()
                        .setKey(key)
                        .setValue(ByteString.copyFromUtf8("world"))
                        .build()));
    assertThat(put.getVersion()).isPositive();
    assertThat(put.getHeader().getNodeId()).isEqualTo(7);
    GetResponse got = kv.get(GetRequest.newBuilder().setKey(key).build());
    assertThat(got.getFound()).isTrue();
    assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("world");
    assertThat(got.getKv().getVersion()).isEqualTo(put.getVersion());
    assertThat(
            HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.newBuilder().setService(KVGrpc.SERVICE_NAME).build())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void aNodeThatIsStillStartingAnswersUnavailableNotUnimplemented(@TempDir Path otherDir)
      throws InterruptedException {
    Node starting =
        Node.bind(new NodeConfig(8, "smoke", "127.0.0.1", 0, -1, otherDir, List.of()), Node.REAL_REPLICAS);
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", starting.grpcPort()).usePlaintext().build();
    try {
      io.grpc.StatusRuntimeException e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              io.grpc.StatusRuntimeException.class,
              () ->
                  KVGrpc.newBlockingStub(ch)
                      .withDeadlineAfter(5, TimeUnit.SECONDS)
                      .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).contains("node 8 is starting");
      assertThat(
              HealthGrpc.newBlockingStub(ch)
                  .check(HealthCheckRequest.newBuilder().setService(KVGrpc.SERVICE_NAME).build())
                  .getStatus())
          .isEqualTo(ServingStatus.NOT_SERVING);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      starting.close();
    }
  }

  @Test
  void garbageBytesOnTheGrpcPortDoNotTakeTheNodeDown() throws Exception {
    SplittableRandom random = new SplittableRandom(20261128L);
    byte[][] payloads = {
      new byte[4096], // random junk
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
      new byte[2048], // a valid HTTP/2 preface followed by junk frames (filled below)
    };
    random.nextBytes(payloads[0]);
    random.nextBytes(payloads[2]);
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(preface, 0, payloads[2], 0, preface.length);
    for (byte[] junk : payloads) {
      try (Socket socket = new Socket("127.0.0.1", node.grpcPort())) {
        socket.setSoTimeout(5000);
        socket.getOutputStream().write(junk);
        socket.getOutputStream().flush();
        // Read until the node closes the connection (or it times out): either way it must survive.
        try {
          while (socket.getInputStream().read(new byte[1024]) >= 0) {}
        } catch (java.io.IOException expected) {
          // reset or timeout
        }
      }
    }
    assertThat(
            HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(ClusterGrpc.newBlockingStub(channel).getNodeStatus(GetNodeStatusRequest.getDefaultInstance())
            .getNode().getId())
        .isEqualTo(7);
  }

  @Test
  void countsCallsByMethodAndStatusCode() throws Exception {
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    for (int i = 0; i < 2; i++) {
      try {
        kv.put(PutRequest.getDefaultInstance()); // empty key: INVALID_ARGUMENT
      } catch (io.grpc.StatusRuntimeException expected) {
        assertThat(expected.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
      }
    }
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(body)
        .contains(
            "kvstore_grpc_server_requests_total{code=\"INVALID_ARGUMENT\",method=\"kvstore.v1.KV/Put\"} 2.0")
        .contains("kvstore_grpc_server_request_duration_seconds_bucket{code=\"INVALID_ARGUMENT\"");
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
