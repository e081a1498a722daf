package io.kvstore.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.Command;
import io.kvstore.proto.v1.CommandBatch;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.Result;
import io.kvstore.proto.v1.ResultBatch;
import io.kvstore.server.e2e.Await;
import io.kvstore.server.metrics.ServedCalls;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KV.Commands as a client in any language sees it: each command answered once, by id, with what its unary
 * call answers (responses, statuses with their details), on a stream that outlives failed commands and
 * ends after the last answer once the client half-closes.
 */
class CommandStreamTest {
  @TempDir Path dir;
  private FakeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One stream: send batches, collect results by id, learn when (and how) the node ends it. */
  static final class Client implements StreamObserver<ResultBatch> {
    final Map<Long, Result> results = new ConcurrentHashMap<>();
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    volatile CountDownLatch expected = new CountDownLatch(0);
    StreamObserver<CommandBatch> requests;

    void send(Command... commands) throws InterruptedException {
      expected = new CountDownLatch(commands.length);
      requests.onNext(CommandBatch.newBuilder().addAllCommands(List.of(commands)).build());
      assertThat(expected.await(10, TimeUnit.SECONDS)).as("every command answered").isTrue();
    }

    @Override
    public void onNext(ResultBatch batch) {
      for (Result r : batch.getResultsList()) {
        assertThat(results.put(r.getId(), r)).as("command %d answered once", r.getId()).isNull();
        expected.countDown();
      }
    }

    @Override
    public void onError(Throwable t) {
      ended.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended.complete(Status.OK);
    }
  }

  private Client open(int node) {
    Client c = new Client();
    c.requests = KVGrpc.newStub(cluster.channel(node)).commands(c);
    return c;
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void commandsAreAnsweredByIdAsTheirUnaryCallsAndFailuresDoNotEndTheStream() throws Exception {
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 1L);
    Client c = open(1);
    c.send(
        Command.newBuilder().setId(10).setPut(PutRequest.newBuilder().setKey(utf8("a")).setValue(utf8("1"))).build(),
        Command.newBuilder().setId(11).setPut(PutRequest.newBuilder().setKey(utf8("b")).setValue(utf8("2"))).build(),
        // An empty key: refused like the unary Put, with its message; the others go on.
        Command.newBuilder().setId(12).setPut(PutRequest.newBuilder().setValue(utf8("3"))).build(),
        // No request at all (a newer client's command): refused, not ignored.
        Command.newBuilder().setId(13).build());
    assertThat(c.results.get(10L).hasPut()).isTrue();
    assertThat(c.results.get(11L).getPut().getVersion()).isPositive();
    assertThat(c.results.get(12L).getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(c.results.get(12L).getError().getMessage()).contains("key is empty");
    assertThat(c.results.get(13L).getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(c.results.get(13L).getError().getMessage()).contains("no get, put or delete");

    c.send(
        Command.newBuilder().setId(20).setGet(GetRequest.newBuilder().setKey(utf8("a"))).build(),
        Command.newBuilder().setId(21).setDelete(DeleteRequest.newBuilder().setKey(utf8("b"))).build(),
        Command.newBuilder().setId(22).setGet(GetRequest.newBuilder().setKey(utf8("missing"))).build());
    assertThat(c.results.get(20L).getGet().getFound()).isTrue();
    assertThat(c.results.get(20L).getGet().getKv().getValue()).isEqualTo(utf8("1"));
    assertThat(c.results.get(21L).getDelete().getDeleted()).isTrue();
    assertThat(c.results.get(22L).getGet().getFound()).isFalse();
    assertThat(c.ended).isNotDone();

    c.requests.onCompleted();
    assertThat(c.ended.get(10, TimeUnit.SECONDS)).isEqualTo(Status.OK);
    // The node's request metrics count commands as the unary calls they stand for.
    assertThat(served("kvstore.v1.KV/Put", "OK")).isEqualTo(2);
    assertThat(served("kvstore.v1.KV/Put", "INVALID_ARGUMENT")).isEqualTo(1);
    assertThat(served("kvstore.v1.KV/Get", "OK")).isEqualTo(2);
    assertThat(served("kvstore.v1.KV/Delete", "OK")).isEqualTo(1);
  }

  private long served(String method, String code) {
    return ServedCalls.count(cluster.node(1).registry(), method, code);
  }

  @Test
  void largeResultsAreSplitSoNoMessageOutgrowsTheClientsLimit() throws Exception {
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 1L);
    // This stub keeps gRPC's default limit of 4 MiB per received message; 8 values of 900 KB answered
    // in one message would be refused by it (RESOURCE_EXHAUSTED, and the stream lost).
    Client c = open(1);
    ByteString big = ByteString.copyFrom(new byte[900_000]);
    Command[] puts = new Command[8];
    Command[] gets = new Command[8];
    for (int i = 0; i < 8; i++) {
      puts[i] = Command.newBuilder().setId(100 + i)
          .setPut(PutRequest.newBuilder().setKey(utf8("big" + i)).setValue(big)).build();
      gets[i] = Command.newBuilder().setId(200 + i)
          .setGet(GetRequest.newBuilder().setKey(utf8("big" + i))).build();
    }
    c.send(puts);
    c.send(gets);
    for (int i = 0; i < 8; i++) {
      assertThat(c.results.get(100L + i).hasPut()).isTrue();
      assertThat(c.results.get(200L + i).getGet().getKv().getValue()).isEqualTo(big);
    }
    assertThat(c.ended).isNotDone();
  }

  @Test
  void theJavaClientSendsItsCallsOnTheStreamAndEndsItCleanlyWhenClosed() throws Exception {
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 1L);
    try (io.kvstore.client.KvClient client =
        io.kvstore.client.KvClient.builder().seeds(cluster.node(1).grpcAddress()).build()) {
      client.blocking().put(utf8("x"), utf8("1"));
      assertThat(client.blocking().get(utf8("x"), io.kvstore.proto.v1.Consistency.CONSISTENCY_LINEARIZABLE)
          .getKv().getValue()).isEqualTo(utf8("1"));
    }
    assertThat(served("kvstore.v1.KV/Put", "OK")).isEqualTo(1);
    assertThat(served("kvstore.v1.KV/Get", "OK")).isEqualTo(1);
    // Closing half-closed the stream and the node ended it: not cancelled, and no grace period waited out.
    Await.until(Duration.ofSeconds(10), "the node counted the ended stream",
        () -> served("kvstore.v1.KV/Commands", "OK") + served("kvstore.v1.KV/Commands", "CANCELLED") > 0);
    assertThat(served("kvstore.v1.KV/Commands", "OK")).isEqualTo(1);
    assertThat(served("kvstore.v1.KV/Commands", "CANCELLED")).isZero();
  }

  @Test
  void aFailedCommandCarriesTheTypedDetailsOfTheUnaryStatus() throws Exception {
    // No shard has a known leader: a write is UNAVAILABLE with a NotLeader detail (kv.proto).
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 0L);
    Client c = open(1);
    c.send(Command.newBuilder().setId(1).setPut(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v"))).build());
    Result r = c.results.get(1L);
    assertThat(r.getError().getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
    assertThat(com.google.rpc.Status.parseFrom(r.getError().getStatusDetails()).getDetailsList())
        .anySatisfy(d -> assertThat(d.is(NotLeader.class)).isTrue());
    c.requests.onCompleted();
    assertThat(c.ended.get(10, TimeUnit.SECONDS)).isEqualTo(Status.OK);
  }
}
