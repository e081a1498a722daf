package io.kvstore.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.kvstore.raft.proto.GroupMessage;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.RaftBatch;
import io.kvstore.raft.proto.RaftTransportGrpc;
import io.kvstore.raft.proto.SendSummary;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node-to-node transport over real gRPC on loopback. */
class RaftTransportTest {
  private final ConcurrentLinkedQueue<GroupMessage> delivered = new ConcurrentLinkedQueue<>();
  private final TransportStats serverStats = new TransportStats();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    // Node 2 of cluster "prod" hosts group 7 only.
    InboundRouter router = (group, m) -> {
      if (group != 7) {
        return false;
      }
      delivered.add(GroupMessage.newBuilder().setGroupId(group).setMessage(m).build());
      return true;
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new RaftTransportService("prod", 2, router, serverStats)).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private static GroupMessage msg(long group, long index) {
    return GroupMessage.newBuilder().setGroupId(group).setMessage(Message.newBuilder()
        .setType(MessageType.MSG_HEARTBEAT).setFrom(1).setTo(2).setTerm(3).setIndex(index)).build();
  }

  private static void await(String what, BooleanSupplier c) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** Sends batches on one raw stream and returns the summary or the error the server ended it with. */
  private CompletableFuture<SendSummary> rawStream(List<RaftBatch> batches, boolean complete) {
    CompletableFuture<SendSummary> result = new CompletableFuture<>();
    StreamObserver<RaftBatch> out = RaftTransportGrpc.newStub(channel).send(new StreamObserver<>() {
      @Override
      public void onNext(SendSummary v) {
        result.complete(v);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    batches.forEach(out::onNext);
    if (complete) {
      out.onCompleted();
    }
    return result;
  }

  @Test
  void clientBatchesMessagesOfManyGroupsOnOneStreamPerPeer() {
    TransportStats clientStats = new TransportStats();
    try (RaftTransportClient client = new RaftTransportClient("prod", 1,
        Map.of(2L, "127.0.0.1:" + server.getPort()), 1 << 20, Duration.ofMillis(10), Duration.ofMillis(100),
        clientStats, peer -> {})) {
      for (int round = 0; round < 5; round++) {
        client.send(2, List.of(msg(7, round), msg(7, round + 100), msg(8, round)));
      }
      await("messages for group 7", () -> delivered.size() == 10);
      await("the unknown group's messages counted", () -> serverStats.messagesReceiveDropped() == 5);
      assertThat(clientStats.streamsOpened()).isEqualTo(1);
      assertThat(clientStats.batchesSent()).isEqualTo(5);
      assertThat(delivered).extracting(g -> g.getMessage().getIndex())
          .containsExactly(0L, 100L, 1L, 101L, 2L, 102L, 3L, 103L, 4L, 104L);
      // A message to a node nobody knows the address of is dropped, not an error.
      client.send(9, List.of(msg(7, 0)));
      assertThat(clientStats.messagesSendDropped()).isEqualTo(1);
    }
  }

  @Test
  void aLargeRoundIsSplitIntoSeveralBatches() {
    TransportStats clientStats = new TransportStats();
    try (RaftTransportClient client = new RaftTransportClient("prod", 1,
        Map.of(2L, "127.0.0.1:" + server.getPort()), 64 * 1024, Duration.ofMillis(10), Duration.ofMillis(100),
        clientStats, peer -> {})) {
      List<GroupMessage> big = new java.util.ArrayList<>();
      for (int i = 0; i < 10; i++) {
        big.add(GroupMessage.newBuilder().setGroupId(7).setMessage(Message.newBuilder()
            .setType(MessageType.MSG_APPEND).setFrom(1).setTo(2).setIndex(i)
            .setContext(com.google.protobuf.ByteString.copyFrom(new byte[20_000]))).build());
      }
      client.send(2, big);
      await("all ten", () -> delivered.size() == 10);
      assertThat(clientStats.batchesSent()).isGreaterThanOrEqualTo(4);
    }
  }

  @Test
  void aWrongClusterIdIsRefusedWithFailedPreconditionAndTheStreamClosed() throws Exception {
    RaftBatch foreign = RaftBatch.newBuilder().setClusterId("staging").setFromNode(1).setToNode(2)
        .addMessages(msg(7, 1)).build();
    CompletableFuture<SendSummary> r = rawStream(List.of(foreign, foreign), false);
    await("the refusal", r::isDone);
    assertThat(r).isCompletedExceptionally();
    Status status = Status.fromThrowable(r.handle((v, e) -> e).get());
    assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(status.getDescription()).contains("cluster id mismatch").contains("prod").contains("staging");
    assertThat(delivered).isEmpty();
    assertThat(serverStats.streamsRefused()).isEqualTo(1);
  }

  @Test
  void aBatchForAnotherNodeIdIsRefused() throws Exception {
    RaftBatch misaddressed = RaftBatch.newBuilder().setClusterId("prod").setFromNode(1).setToNode(5)
        .addMessages(msg(7, 1)).build();
    CompletableFuture<SendSummary> r = rawStream(List.of(misaddressed), false);
    await("the refusal", r::isDone);
    assertThat(Status.fromThrowable(r.handle((v, e) -> e).get()).getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(delivered).isEmpty();
  }

  @Test
  void aCompletedStreamIsAnsweredWithItsSummary() throws Exception {
    RaftBatch ok = RaftBatch.newBuilder().setClusterId("prod").setFromNode(1).setToNode(2)
        .addMessages(msg(7, 1)).addMessages(msg(3, 1)).addMessages(GroupMessage.newBuilder().setGroupId(7))
        .build();
    SendSummary s = rawStream(List.of(ok, ok), true).get(10, TimeUnit.SECONDS);
    assertThat(s.getBatchesReceived()).isEqualTo(2);
    assertThat(s.getMessagesReceived()).isEqualTo(2);
    // Group 3 is not hosted here; an entry without a message is malformed: both dropped and counted.
    assertThat(s.getMessagesDropped()).isEqualTo(4);
  }

  @Test
  void garbageBytesOnThePortDoNotTakeTheServerDown() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.getPort())) {
      OutputStream out = socket.getOutputStream();
      byte[] junk = new byte[4096];
      new java.util.SplittableRandom(42).nextBytes(junk);
      out.write(junk);
      out.flush();
    }
    // The server still serves a well-formed stream.
    RaftBatch ok = RaftBatch.newBuilder().setClusterId("prod").setFromNode(1).setToNode(2)
        .addMessages(msg(7, 1)).build();
    assertThat(rawStream(List.of(ok), true).get(10, TimeUnit.SECONDS).getMessagesReceived()).isEqualTo(1);
  }

  @Test
  void aClosedServiceEndsItsStreamsAndTheClientReconnectsToANewOne() throws Exception {
    TransportStats clientStats = new TransportStats();
    ConcurrentLinkedQueue<Long> reportedDown = new ConcurrentLinkedQueue<>();
    try (RaftTransportClient client = new RaftTransportClient("prod", 1,
        Map.of(2L, "127.0.0.1:" + server.getPort()), 1 << 20, Duration.ofMillis(10), Duration.ofMillis(50),
        clientStats, reportedDown::add)) {
      client.send(2, List.of(msg(7, 1)));
      await("first message", () -> delivered.size() == 1);
      int port = server.getPort();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      // Its port now refuses connections: the stream's break is reported as "process gone".
      await("the peer reported down", () -> reportedDown.contains(2L));
      assertThat(clientStats.peersReportedDown()).isPositive();
      // Sending while the peer is down drops messages; it never blocks or throws.
      for (int i = 0; i < 50; i++) {
        client.send(2, List.of(msg(7, 2)));
      }
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .addService(new RaftTransportService("prod", 2, (g, m) -> delivered.add(
              GroupMessage.newBuilder().setGroupId(g).setMessage(m).build()), serverStats)).build().start();
      await("delivery after the peer came back", () -> {
        client.send(2, List.of(msg(7, 3)));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        return delivered.stream().anyMatch(g -> g.getMessage().getIndex() == 3);
      });
      assertThat(clientStats.streamsOpened()).isGreaterThan(1);
    } catch (StatusRuntimeException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aPeerHeardFromAgainIsReconnectedAtOnceNotAfterTheBackoff() throws Exception {
    TransportStats clientStats = new TransportStats();
    // A backoff that grows to a minute: only peerAlive can bring the stream back within the test.
    try (RaftTransportClient client = new RaftTransportClient("prod", 1,
        Map.of(2L, "127.0.0.1:" + server.getPort()), 1 << 20, Duration.ofMillis(200), Duration.ofSeconds(60),
        clientStats, peer -> {})) {
      client.send(2, List.of(msg(7, 1)));
      await("first message", () -> delivered.size() == 1);
      int port = server.getPort();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(7);
      while (System.nanoTime() < deadline) { // failures double the backoff: 200 ms, 400, ... 6.4 s by now
        client.send(2, List.of(msg(7, 2)));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .addService(new RaftTransportService("prod", 2, (g, m) -> delivered.add(
              GroupMessage.newBuilder().setGroupId(g).setMessage(m).build()), serverStats)).build().start();
      client.peerAlive(2); // what the node does when the peer opens a stream to it
      // Well within the 6.4 s the backoff would still make us wait.
      long quick = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      boolean back = false;
      while (!back && System.nanoTime() < quick) {
        client.send(2, List.of(msg(7, 3)));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        back = delivered.stream().anyMatch(g -> g.getMessage().getIndex() == 3);
      }
      assertThat(back).as("delivered after peerAlive, without waiting out the backoff").isTrue();
    }
  }
}
