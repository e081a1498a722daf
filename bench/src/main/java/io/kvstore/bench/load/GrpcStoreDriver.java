package io.kvstore.bench.load;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.client.Endpoint;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives kvstore through its public gRPC contract (kv.proto) with the generated async stubs: one channel
 * (one HTTP/2 connection) per node, requests spread round-robin over the nodes, each node forwarding to
 * the key's shard leader. This is what any client generated from kv.proto does; the routing Java client
 * saves the forwarding hop.
 *
 * <p>Callbacks run on the channels' event loops (direct executor): the load generator's completion handler
 * only records a latency and issues the next request, which never blocks.
 */
public final class GrpcStoreDriver implements KvDriver {
  private final List<Endpoint> endpoints;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<KVGrpc.KVStub> stubs = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final long deadlineMillis;

  /** Opens one channel per endpoint (lazily connected on the first request). */
  public GrpcStoreDriver(List<Endpoint> endpoints, Duration requestDeadline) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to drive");
    }
    this.endpoints = List.copyOf(endpoints);
    this.deadlineMillis = requestDeadline.toMillis();
    for (Endpoint e : endpoints) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(e.host(), e.port())
              .usePlaintext()
              .directExecutor()
              .disableRetry() // a benchmark counts failures; gRPC's transparent retries cost CPU per call
              .maxInboundMessageSize(64 << 20)
              .build();
      channels.add(channel);
      stubs.add(KVGrpc.newStub(channel));
    }
  }

  private KVGrpc.KVStub stub() {
    int i = Math.floorMod(next.getAndIncrement(), stubs.size());
    return stubs.get(i).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<Long> get(ByteString key, ReadConsistency consistency) {
    GetRequest request =
        GetRequest.newBuilder().setKey(key).setConsistency(toProto(consistency)).build();
    UnaryObserver<GetResponse, Long> answer = new UnaryObserver<>(r -> r.getFound() ? r.getKv().getVersion() : 0L);
    stub().get(request, answer);
    return answer.future();
  }

  @Override
  public CompletableFuture<Long> put(ByteString key, ByteString value) {
    PutRequest request = PutRequest.newBuilder().setKey(key).setValue(value).build();
    UnaryObserver<PutResponse, Long> answer = new UnaryObserver<>(PutResponse::getVersion);
    stub().put(request, answer);
    return answer.future();
  }

  @Override
  public CompletableFuture<CasResult> compareAndSwap(
      ByteString key, long expectedVersion, ByteString value) {
    CompareAndSwapRequest request =
        CompareAndSwapRequest.newBuilder()
            .setKey(key)
            .setExpectedVersion(expectedVersion)
            .setNewValue(value)
            .build();
    UnaryObserver<CompareAndSwapResponse, CasResult> answer =
        new UnaryObserver<>(
            r -> new CasResult(
                r.getSucceeded(),
                r.getSucceeded() ? r.getVersion() : r.hasCurrent() ? r.getCurrent().getVersion() : 0L));
    stub().compareAndSwap(request, answer);
    return answer.future();
  }

  static Consistency toProto(ReadConsistency c) {
    return switch (c) {
      case LINEARIZABLE -> Consistency.CONSISTENCY_LINEARIZABLE;
      case LEASE -> Consistency.CONSISTENCY_LEASE;
      case STALE -> Consistency.CONSISTENCY_STALE;
    };
  }

  @Override
  public String storeName() {
    return "kvstore";
  }

  @Override
  public String describe() {
    return "gRPC stubs of kv.proto, 1 channel per node, round-robin over " + endpoints.size()
        + " nodes (nodes forward to the shard leader)";
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
