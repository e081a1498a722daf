package io.kvstore.bench.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.bench.load.CasResult;
import io.kvstore.bench.load.KvDriver;
import io.kvstore.bench.load.ReadConsistency;
import io.kvstore.bench.load.UnaryObserver;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives etcd through its own gRPC API (etcdserverpb.KV, the stubs jetcd ships) with exactly the client
 * stack of {@link io.kvstore.bench.load.GrpcStoreDriver}: one grpc-netty channel per member, requests
 * round-robin, callbacks on the event loops. It shows how much of a comparison is the client library: the
 * two stores then differ only in the server. Same mappings as {@link JetcdDriver}.
 */
public final class EtcdGrpcDriver implements KvDriver {
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<KVGrpc.KVStub> stubs = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final long deadlineMillis;

  public EtcdGrpcDriver(List<URI> endpoints, Duration requestDeadline) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no etcd endpoints");
    }
    this.deadlineMillis = requestDeadline.toMillis();
    for (URI u : endpoints) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(u.getHost(), u.getPort())
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
    return stubs.get(Math.floorMod(next.getAndIncrement(), stubs.size()))
        .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<Long> get(ByteString key, ReadConsistency consistency) {
    RangeRequest request = RangeRequest.newBuilder()
        .setKey(key)
        .setSerializable(consistency == ReadConsistency.STALE)
        .build();
    UnaryObserver<RangeResponse, Long> answer = new UnaryObserver<>(EtcdGrpcDriver::version);
    stub().range(request, answer);
    return answer.future();
  }

  @Override
  public CompletableFuture<Long> put(ByteString key, ByteString value) {
    UnaryObserver<PutResponse, Long> answer = new UnaryObserver<>(r -> r.getHeader().getRevision());
    stub().put(PutRequest.newBuilder().setKey(key).setValue(value).build(), answer);
    return answer.future();
  }

  @Override
  public CompletableFuture<CasResult> compareAndSwap(ByteString key, long expectedVersion, ByteString value) {
    TxnRequest request = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder()
            .setKey(key)
            .setTarget(Compare.CompareTarget.MOD)
            .setResult(Compare.CompareResult.EQUAL)
            .setModRevision(expectedVersion))
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(value)))
        .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)))
        .build();
    UnaryObserver<TxnResponse, CasResult> answer = new UnaryObserver<>(r -> r.getSucceeded()
        ? new CasResult(true, r.getHeader().getRevision())
        : new CasResult(false, r.getResponsesCount() == 0 ? 0 : version(r.getResponses(0).getResponseRange())));
    stub().txn(request, answer);
    return answer.future();
  }

  private static long version(RangeResponse r) {
    return r.getKvsCount() == 0 ? 0 : r.getKvs(0).getModRevision();
  }

  @Override
  public String storeName() {
    return "etcd";
  }

  @Override
  public String describe() {
    return "etcd gRPC stubs (etcdserverpb.KV), 1 channel per member, round-robin over " + stubs.size()
        + " members; reads: linearizable (stale = serializable, lease = linearizable); CAS = Txn on mod_revision";
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
