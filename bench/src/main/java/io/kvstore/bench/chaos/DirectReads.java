package io.kvstore.bench.chaos;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.client.Endpoint;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads sent to one given node in one attempt, bypassing the routing client's leader cache and retries:
 * the node serves the read itself or forwards it, as the API allows any node to. Used to put reads on a
 * node that may wrongly believe it still leads (a leader that was paused). Thread-safe; one channel per
 * node, closed by {@link #close()}. Calls block up to the deadline and throw gRPC's
 * {@code StatusRuntimeException} on failure.
 */
final class DirectReads implements AutoCloseable {
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Duration deadline;

  DirectReads(List<Endpoint> nodes, Duration deadline) {
    this.deadline = deadline;
    for (Endpoint e : nodes) {
      channels.add(NettyChannelBuilder.forAddress(e.host(), e.port()).usePlaintext().build());
    }
  }

  int nodes() {
    return channels.size();
  }

  /** A Get at {@code consistency} sent to the node at index {@code node} (0-based). */
  GetResponse get(int node, ByteString key, Consistency consistency) {
    return KVGrpc.newBlockingStub(channels.get(node)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .get(GetRequest.newBuilder().setKey(key).setConsistency(consistency).build());
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
