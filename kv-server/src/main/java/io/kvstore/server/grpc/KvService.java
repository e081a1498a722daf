package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchGetResponse;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.CommandBatch;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.ResponseHeader;
import io.kvstore.proto.v1.ResultBatch;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.grpc.CrossShardScan.ShardPage;
import io.kvstore.server.grpc.KvStatuses.Kind;
import io.kvstore.server.metrics.GrpcServerMetrics;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.proto.ScanShardRequest;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.LeaderHint;
import io.kvstore.server.replica.NotLeaderException;
import io.kvstore.server.replica.ReadView;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.replica.ShardUnavailableException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The public {@code kvstore.v1.KV} service of a node. Validates every request ({@link RequestValidator}),
 * routes it to its key's shard, and serves it through this node's replica of the shard when it can
 * ({@link ShardReplicas}); otherwise forwards it to the shard's leader ({@link Forwarder}), unless it was
 * itself forwarded. Scan merges every shard's keys ({@link CrossShardScan}); the batch calls split their
 * keys per shard and reassemble the answers in request order.
 *
 * <p>Threading: handlers run on gRPC's transport thread ({@link InlineCalls}) and never block; reads of
 * a {@link ReadView} (which may hit RocksDB) run on {@code executor}; an answer is sent by the thread that
 * completes its result (the replicas' callback pool for a write, {@code executor} for a read, a client
 * thread for a forwarded call), never by a replica's loop thread. Every call is bounded by the client's
 * deadline (or {@link #DEFAULT_TIMEOUT}), which is also the deadline of any forwarded call.
 */
public final class KvService extends KVGrpc.KVImplBase {
  /** The bound on a call whose client set no deadline. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final long selfId;
  private final LocalClusterMap map;
  private final ShardReplicas replicas;
  private final RequestValidator validator;
  private final Forwarder forwarder;
  private final Executor executor;

  /**
   * @param channels channels to the other nodes (closed by the caller)
   * @param executor runs reads and answers; must not be a replica thread
   * @param registry where the forwarding counter is registered
   */
  /** Commands of the command stream are counted as the unary calls they stand for. */
  private final GrpcServerMetrics grpcMetrics;

  public KvService(
      long selfId,
      LocalClusterMap map,
      ShardReplicas replicas,
      PeerChannels channels,
      Executor executor,
      PrometheusRegistry registry,
      GrpcServerMetrics grpcMetrics) {
    this.selfId = selfId;
    this.grpcMetrics = grpcMetrics;
    this.map = map;
    this.replicas = replicas;
    this.validator =
        new RequestValidator(map.clusterId(), map::limits, k -> map.table().shardForKey(k).getId());
    this.forwarder = new Forwarder(selfId, map, channels, registry);
    this.executor = executor;
  }

  /** The deadline and origin of one call, captured on the handler's thread. */
  private record Call(Deadline deadline, boolean forwarded) {
    static Call begin() {
      Deadline d = Context.current().getDeadline();
      if (d == null) {
        d = Deadline.after(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      return new Call(d, ForwardingMarker.forwardedBy() != 0);
    }
  }

  /** Many Get, Put and Delete calls on one stream: see {@link CommandStream}. */
  @Override
  public StreamObserver<CommandBatch> commands(StreamObserver<ResultBatch> out) {
    return new CommandStream(this, (ServerCallStreamObserver<ResultBatch>) out, grpcMetrics);
  }

  @Override
  public void get(GetRequest r, StreamObserver<GetResponse> out) {
    Call call = Call.begin();
    if (!check(out, () -> validator.get(r))) {
      return;
    }
    long shard = shardOf(r.getKey());
    CompletableFuture<GetResponse> f =
        read(shard, r.getConsistency(), view -> getFrom(view, shard, r.getKey()))
            .exceptionallyCompose(e -> orForward(call, shard, e, KVGrpc.getGetMethod(), r, false));
    reply(call, f, out, Kind.READ);
  }

  @Override
  public void put(PutRequest r, StreamObserver<PutResponse> out) {
    Call call = Call.begin();
    if (!check(out, () -> validator.put(r))) {
      return;
    }
    long shard = shardOf(r.getKey());
    reply(
        call,
        write(call, shard, new Command.Put(r), res -> ((CommandResult.Put) res).response(),
            KVGrpc.getPutMethod(), r),
        out,
        Kind.WRITE);
  }

  @Override
  public void delete(DeleteRequest r, StreamObserver<DeleteResponse> out) {
    Call call = Call.begin();
    if (!check(out, () -> validator.delete(r))) {
      return;
    }
    long shard = shardOf(r.getKey());
    reply(
        call,
        write(call, shard, new Command.Delete(r), res -> ((CommandResult.Delete) res).response(),
            KVGrpc.getDeleteMethod(), r),
        out,
        Kind.WRITE);
  }

  @Override
  public void compareAndSwap(CompareAndSwapRequest r, StreamObserver<CompareAndSwapResponse> out) {
    Call call = Call.begin();
    if (!check(out, () -> validator.compareAndSwap(r))) {
      return;
    }
    long shard = shardOf(r.getKey());
    reply(
        call,
        write(call, shard, new Command.CompareAndSwap(r),
            res -> ((CommandResult.CompareAndSwap) res).response(),
            KVGrpc.getCompareAndSwapMethod(), r),
        out,
        Kind.WRITE);
  }

  @Override
  public void txn(TxnRequest r, StreamObserver<TxnResponse> out) {
    Call call = Call.begin();
    long[] shard = new long[1];
    if (!check(out, () -> shard[0] = validator.txn(r))) {
      return;
    }
    reply(
        call,
        write(call, shard[0], new Command.Txn(r), res -> ((CommandResult.Txn) res).response(),
            KVGrpc.getTxnMethod(), r),
        out,
        Kind.WRITE);
  }

  @Override
  public void scan(ScanRequest r, StreamObserver<ScanResponse> out) {
    Call call = Call.begin();
    ScanBounds[] bounds = new ScanBounds[1];
    if (!check(
        out,
        () -> {
          validator.common(r, r.getHeader());
          validator.consistency(r.getConsistencyValue());
          bounds[0] = ScanBounds.of(r);
        })) {
      return;
    }
    List<Long> shards = map.table().shards().stream().map(s -> s.getId()).toList();
    CompletableFuture<ScanResponse> f =
        CrossShardScan.page(
                shards,
                bounds[0],
                (shard, b) -> scanShard(call, shard, b, r.getConsistency(), r.getKeysOnly()))
            .thenApply(
                page ->
                    ScanResponse.newBuilder()
                        .setHeader(header(0, 0))
                        .addAllKvs(page.kvs())
                        .setContinuationToken(page.continuationToken())
                        .build());
    reply(call, f, out, Kind.READ);
  }

  @Override
  public void batchGet(BatchGetRequest r, StreamObserver<BatchGetResponse> out) {
    Call call = Call.begin();
    if (!check(out, () -> validator.batchGet(r))) {
      return;
    }
    Map<Long, List<Integer>> byShard = groupByShard(r.getKeysCount(), i -> r.getKeys(i));
    List<CompletableFuture<List<GetResponse>>> parts = new ArrayList<>();
    for (Map.Entry<Long, List<Integer>> e : byShard.entrySet()) {
      long shard = e.getKey();
      List<ByteString> keys = e.getValue().stream().map(r::getKeys).toList();
      BatchGetRequest sub =
          r.toBuilder().clearKeys().addAllKeys(keys).build();
      parts.add(
          read(shard, r.getConsistency(),
                  view -> keys.stream().map(k -> getFrom(view, shard, k)).toList())
              .exceptionallyCompose(
                  ex ->
                      orForward(call, shard, ex, KVGrpc.getBatchGetMethod(), sub, false)
                          .thenApply(BatchGetResponse::getResultsList)));
    }
    CompletableFuture<BatchGetResponse> f =
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
            .thenApply(
                ignored -> {
                  GetResponse[] results = new GetResponse[r.getKeysCount()];
                  int p = 0;
                  for (List<Integer> indexes : byShard.values()) {
                    List<GetResponse> part = parts.get(p++).join();
                    for (int i = 0; i < indexes.size(); i++) {
                      results[indexes.get(i)] = part.get(i);
                    }
                  }
                  return BatchGetResponse.newBuilder()
                      .setHeader(header(0, 0))
                      .addAllResults(List.of(results))
                      .build();
                });
    reply(call, f, out, Kind.READ);
  }

  @Override
  public void batchPut(BatchPutRequest r, StreamObserver<BatchPutResponse> out) {
    Call call = Call.begin();
    if (!check(out, () -> validator.batchPut(r))) {
      return;
    }
    Map<Long, List<Integer>> byShard = groupByShard(r.getKvsCount(), i -> r.getKvs(i).getKey());
    List<CompletableFuture<List<Long>>> parts = new ArrayList<>();
    for (Map.Entry<Long, List<Integer>> e : byShard.entrySet()) {
      long shard = e.getKey();
      List<KeyValue> kvs = e.getValue().stream().map(r::getKvs).toList();
      BatchPutRequest sub = r.toBuilder().clearKvs().addAllKvs(kvs).build();
      parts.add(
          write(call, shard, new Command.BatchPut(sub),
                  res -> ((CommandResult.BatchPut) res).response(),
                  KVGrpc.getBatchPutMethod(), sub)
              .thenApply(BatchPutResponse::getVersionsList));
    }
    CompletableFuture<BatchPutResponse> f =
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
            .thenApply(
                ignored -> {
                  long[] versions = new long[r.getKvsCount()];
                  int p = 0;
                  for (List<Integer> indexes : byShard.values()) {
                    List<Long> part = parts.get(p++).join();
                    for (int i = 0; i < indexes.size(); i++) {
                      versions[indexes.get(i)] = part.get(i);
                    }
                  }
                  BatchPutResponse.Builder b = BatchPutResponse.newBuilder().setHeader(header(0, 0));
                  for (long v : versions) {
                    b.addVersions(v);
                  }
                  return b.build();
                });
    reply(call, f, out, Kind.WRITE);
  }

  // ---- the shared paths -------------------------------------------------------------------------

  /**
   * A write through this node's replica, or forwarded to the leader when this node's replica does not lead
   * (or there is none). The local answer gets this node's header.
   */
  private <Q, R extends Message> CompletableFuture<R> write(
      Call call,
      long shard,
      Command command,
      Function<CommandResult, R> unwrap,
      MethodDescriptor<Q, R> method,
      Q request) {
    return start(() -> replicas.propose(shard, command))
        .thenApply(res -> withLocalHeader(unwrap.apply(res), shard))
        .exceptionallyCompose(e -> orForward(call, shard, e, method, request, true));
  }

  /** A read of this node's replica at the given consistency; {@code fn} runs on the service executor. */
  private <T> CompletableFuture<T> read(long shard, Consistency c, Function<ReadView, T> fn) {
    return start(() -> replicas.read(shard, c)).thenApplyAsync(fn, executor);
  }

  /** One shard's part of a Scan: a local read, else a ScanShard call to a node that can serve it. */
  private CompletableFuture<ShardPage> scanShard(
      Call call, long shard, ScanBounds b, Consistency c, boolean keysOnly) {
    byte[] end = b.end().isEmpty() ? null : b.end().toByteArray();
    return read(
            shard,
            c,
            view ->
                CrossShardScan.trimmed(
                    view.scan(b.start().toByteArray(), end, b.limit(), keysOnly), b.limit()))
        .exceptionallyCompose(
            e -> {
              ScanShardRequest sub =
                  ScanShardRequest.newBuilder()
                      .setClusterId(map.clusterId())
                      .setShardId(shard)
                      .setStart(b.start())
                      .setEnd(b.end())
                      .setLimit(b.limit())
                      .setKeysOnly(keysOnly)
                      .setConsistency(c)
                      .build();
              // A Scan is never forwarded as a whole, so each shard's part may take one hop even when
              // the Scan itself came from another node.
              return orForward(
                      new Call(call.deadline(), false),
                      shard,
                      e,
                      NodeInternalGrpc.getScanShardMethod(),
                      sub,
                      false)
                  .thenApply(resp -> new ShardPage(resp.getKvsList(), resp.getMayHaveMore()));
            });
  }

  /**
   * After a local failure: forward when this node cannot serve the shard and the request was not itself
   * forwarded; otherwise fail with the local failure (mapped to a status in {@link #reply}).
   */
  private <Q, R extends Message> CompletableFuture<R> orForward(
      Call call,
      long shard,
      Throwable failure,
      MethodDescriptor<Q, R> method,
      Q request,
      boolean isWrite) {
    Throwable cause = KvStatuses.unwrap(failure);
    if (call.forwarded()) {
      return CompletableFuture.failedFuture(cause);
    }
    if (cause instanceof NotLeaderException nl) {
      if (!nl.leader().known() || nl.leader().nodeId() == selfId) {
        return CompletableFuture.failedFuture(cause); // electing: UNAVAILABLE + NotLeader
      }
      return forwarder.forward(method, request, shard, nl.leader(), call.deadline(), isWrite);
    }
    if (cause instanceof ShardUnavailableException) {
      LeaderHint hint = replicas.leaderHint(shard);
      return forwarder.forward(method, request, shard, hint, call.deadline(), isWrite);
    }
    return CompletableFuture.failedFuture(cause);
  }

  private <R extends Message> void reply(
      Call call, CompletableFuture<R> result, StreamObserver<R> out, Kind kind) {
    long nanos = Math.max(1, call.deadline().timeRemaining(TimeUnit.NANOSECONDS));
    result
        .orTimeout(nanos, TimeUnit.NANOSECONDS)
        // Answered on the completing thread: sending only serializes a small message and queues it on the
        // transport, so a hand-off to the executor would only add a thread wake-up to every request.
        .whenComplete(
            (response, failure) -> {
              if (out instanceof ServerCallStreamObserver<R> s && s.isCancelled()) {
                return; // the client is gone (or its deadline passed): nobody to answer
              }
              try {
                if (failure == null) {
                  out.onNext(response);
                  out.onCompleted();
                } else {
                  out.onError(
                      KvStatuses.toStatus(failure, kind, map.epoch(), this::addressOf));
                }
              } catch (RuntimeException raced) {
                // Cancelled between the check and the answer: nothing to do.
              }
            });
  }

  /** Runs a validation; on failure answers the call and returns false. */
  private static boolean check(StreamObserver<?> out, Runnable validation) {
    try {
      validation.run();
      return true;
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
      return false;
    }
  }

  /** A replica call; a synchronous throw becomes a failed future (the contract says it should not). */
  private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private GetResponse getFrom(ReadView view, long shard, ByteString key) {
    GetResponse.Builder b = GetResponse.newBuilder().setHeader(header(shard, view.term()));
    view.get(key.toByteArray()).ifPresent(kv -> b.setFound(true).setKv(kv));
    return b.build();
  }

  private <R extends Message> R withLocalHeader(R response, long shard) {
    long term = ResponseHeaders.of(response).getTerm();
    if (term == 0) {
      term = replicas.leaderHint(shard).term();
    }
    return ResponseHeaders.with(response, header(shard, term));
  }

  private ResponseHeader header(long shard, long term) {
    return ResponseHeader.newBuilder()
        .setShardId(shard)
        .setNodeId(selfId)
        .setTerm(term)
        .setEpoch(map.epoch())
        .build();
  }

  private long shardOf(ByteString key) {
    return map.table().shardForKey(key).getId();
  }

  private String addressOf(long nodeId) {
    return map.node(nodeId).map(n -> n.getAddress()).orElse("");
  }

  /** Shard id (first-seen order) → the request positions of its keys. */
  private Map<Long, List<Integer>> groupByShard(int count, java.util.function.IntFunction<ByteString> key) {
    Map<Long, List<Integer>> out = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      out.computeIfAbsent(shardOf(key.apply(i)), s -> new ArrayList<>()).add(i);
    }
    return out;
  }
}
