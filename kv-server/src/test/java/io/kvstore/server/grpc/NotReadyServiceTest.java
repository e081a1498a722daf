package io.kvstore.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.kvstore.proto.v1.Command;
import io.kvstore.proto.v1.CommandBatch;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.PutRequest;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A starting node answers every call UNAVAILABLE at once, the command stream included. */
class NotReadyServiceTest {
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(NotReadyService.of(KVGrpc.getServiceDescriptor(), "node 1 is starting"))
        .build().start();
    channel = NettyChannelBuilder.forTarget("127.0.0.1:" + server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void unaryCallsAreUnavailable() {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> KVGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("node 1 is starting").contains("retry");
  }

  @Test
  void aCommandStreamIsEndedUnavailableWithoutWaitingForItsRequests() throws Exception {
    CommandStreamTest.Client c = new CommandStreamTest.Client();
    c.requests = KVGrpc.newStub(channel).commands(c);
    c.requests.onNext(CommandBatch.newBuilder().addCommands(Command.newBuilder().setId(1)
        .setPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")))).build());
    // No half-close: a stream never sends one while it is in use.
    Status s = c.ended.get(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription()).contains("node 1 is starting");
  }
}
