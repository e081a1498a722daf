package io.kvstore.bench.load;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.Endpoint;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A single-node, in-memory implementation of kv.proto's Get, Put and CompareAndSwap on a real gRPC server
 * (127.0.0.1, port 0), for testing the load generator's store driver. Versions come from one counter, as a
 * one-shard store's Raft index would. Every {@code failEvery}-th request fails with UNAVAILABLE (0: never).
 */
final class FakeKvServer implements AutoCloseable {
  final AtomicLong gets = new AtomicLong();
  final AtomicLong puts = new AtomicLong();
  final AtomicLong cas = new AtomicLong();
  final AtomicLong casSucceeded = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  private final ConcurrentHashMap<ByteString, KeyValue> data = new ConcurrentHashMap<>();
  private final AtomicLong index = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final long failEvery;
  private final Server server;

  FakeKvServer(long failEvery) throws IOException {
    this.failEvery = failEvery;
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new Service())
        .build()
        .start();
  }

  Endpoint endpoint() {
    return new Endpoint("127.0.0.1", server.getPort());
  }

  int keyCount() {
    return data.size();
  }

  private boolean shouldFail(StreamObserver<?> observer) {
    if (failEvery > 0 && requests.incrementAndGet() % failEvery == 0) {
      failed.incrementAndGet();
      observer.onError(Status.UNAVAILABLE.withDescription("injected failure").asException());
      return true;
    }
    return false;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private final class Service extends KVGrpc.KVImplBase {
    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> observer) {
      gets.incrementAndGet();
      if (shouldFail(observer)) {
        return;
      }
      KeyValue kv = data.get(request.getKey());
      GetResponse.Builder r = GetResponse.newBuilder().setFound(kv != null);
      if (kv != null) {
        r.setKv(kv);
      }
      observer.onNext(r.build());
      observer.onCompleted();
    }

    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> observer) {
      puts.incrementAndGet();
      if (shouldFail(observer)) {
        return;
      }
      KeyValue kv = data.compute(request.getKey(), (k, old) -> KeyValue.newBuilder()
          .setKey(k).setValue(request.getValue()).setVersion(index.incrementAndGet()).build());
      observer.onNext(PutResponse.newBuilder().setVersion(kv.getVersion()).build());
      observer.onCompleted();
    }

    @Override
    public void compareAndSwap(
        CompareAndSwapRequest request, StreamObserver<CompareAndSwapResponse> observer) {
      cas.incrementAndGet();
      if (shouldFail(observer)) {
        return;
      }
      boolean[] swapped = new boolean[1];
      KeyValue now = data.compute(request.getKey(), (k, old) -> {
        long current = old == null ? 0 : old.getVersion();
        if (current != request.getExpectedVersion()) {
          return old;
        }
        swapped[0] = true;
        return KeyValue.newBuilder().setKey(k).setValue(request.getNewValue())
            .setVersion(index.incrementAndGet()).build();
      });
      CompareAndSwapResponse.Builder r = CompareAndSwapResponse.newBuilder().setSucceeded(swapped[0]);
      if (swapped[0]) {
        casSucceeded.incrementAndGet();
        r.setVersion(now.getVersion());
      } else if (now != null) {
        r.setCurrent(now).setVersion(index.get());
      }
      observer.onNext(r.build());
      observer.onCompleted();
    }
  }
}
