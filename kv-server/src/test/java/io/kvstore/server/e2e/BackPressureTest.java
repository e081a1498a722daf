package io.kvstore.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchGetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.LimitExceeded;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.server.Node;
import io.kvstore.server.NodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full proposal queue on the real replicas: the refused writes get RESOURCE_EXHAUSTED with a
 * LimitExceeded("proposal_queue") detail and change nothing; the accepted ones are all there.
 */
class BackPressureTest {
  @TempDir Path dir;

  @Test
  void refusedWritesChangeNothing() throws Exception {
    Node node =
        Node.bind(
            new NodeConfig(1, "bp", "127.0.0.1", 0, -1, dir, List.of())
                .withShards(1, 1)
                .withReplicaOptions(LocalCluster.fastOptions(10_000).withMaxPendingProposals(1)),
            Node.REAL_REPLICAS);
    ManagedChannel ch = null;
    try {
      node.serve(List.of(new NodeConfig.InitialMember(1, node.grpcAddress())));
      ch = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
      KVGrpc.KVFutureStub kv = KVGrpc.newFutureStub(ch);
      ManagedChannel channel = ch;
      Await.value(
          Duration.ofSeconds(30),
          () ->
              KVGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("warm")).build()));

      Set<String> accepted = new HashSet<>();
      Set<String> refused = new HashSet<>();
      // Waves of concurrent writes to the one shard until the queue (one pending write) overflows.
      for (int wave = 0; wave < 20 && refused.isEmpty(); wave++) {
        List<String> keys = new ArrayList<>();
        List<ListenableFuture<PutResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          String key = "bp/" + wave + "/" + i;
          keys.add(key);
          calls.add(
              kv.withDeadlineAfter(10, TimeUnit.SECONDS)
                  .put(
                      PutRequest.newBuilder()
                          .setKey(ByteString.copyFromUtf8(key))
                          .setValue(ByteString.copyFromUtf8(key))
                          .build()));
        }
        for (int i = 0; i < calls.size(); i++) {
          try {
            assertThat(calls.get(i).get().getVersion()).isPositive();
            accepted.add(keys.get(i));
          } catch (ExecutionException e) {
            StatusRuntimeException sre = (StatusRuntimeException) e.getCause();
            assertThat(sre.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            LimitExceeded detail = null;
            for (Any any : StatusProto.fromThrowable(sre).getDetailsList()) {
              if (any.is(LimitExceeded.class)) {
                detail = any.unpack(LimitExceeded.class);
              }
            }
            assertThat(detail).isNotNull();
            assertThat(detail.getWhat()).isEqualTo("proposal_queue");
            refused.add(keys.get(i));
          }
        }
      }
      assertThat(refused).as("some writes were refused").isNotEmpty();
      assertThat(accepted).as("some writes were accepted").isNotEmpty();

      BatchGetRequest.Builder read = BatchGetRequest.newBuilder();
      List<String> all = new ArrayList<>(accepted);
      all.addAll(refused);
      all.forEach(k -> read.addKeys(ByteString.copyFromUtf8(k)));
      BatchGetResponse got = KVGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).batchGet(read.build());
      for (int i = 0; i < all.size(); i++) {
        boolean wasAccepted = i < accepted.size();
        assertThat(got.getResults(i).getFound()).as(all.get(i)).isEqualTo(wasAccepted);
      }
    } finally {
      if (ch != null) {
        ch.shutdownNow();
      }
      node.close();
    }
  }
}
