package io.kvstore.client;

import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.kvstore.client.balance.LoadBalancer;
import io.kvstore.client.balance.Target;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchGetResponse;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.AddMemberRequest;
import io.kvstore.proto.v1.AddMemberResponse;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ListMembersRequest;
import io.kvstore.proto.v1.ListMembersResponse;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.RemoveMemberRequest;
import io.kvstore.proto.v1.RemoveMemberResponse;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.ResponseHeader;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.proto.ScanShardRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * The routing client of kvstore: asynchronous ({@link CompletableFuture}) calls, with a thin blocking
 * view ({@link #blocking()}).
 *
 * <p>It fetches the cluster map from any seed node, hashes each key with the ring the server uses
 * ({@code io.kvstore.ring}), sends the request to the shard's leader and caches leaders per shard. A
 * wrong-leader answer (a NotLeader detail), a response from a newer cluster-map epoch, or an unreachable
 * node update the cache, and the call is retried under one {@link RetryPolicy} within its deadline: the
 * caller sees a result, or a {@link KvException} once the policy gives up. Writes carry the client id and a
 * sequence number that retries reuse, so a retried write is applied at most once. Writes to one shard are
 * kept within the cluster's exactly-once window ({@code Limits.write_window}; see {@code WriteWindow}):
 * more wait in the client, in order, within their deadline, so a retry is never refused as too old.
 *
 * <p>Batch calls are split per shard, sent in parallel and merged back in request order. {@link
 * #scan(ScanRequest, int)} is split per shard too, read in parallel and merged in key order;
 * {@link #scanPage} sends one page of the public Scan to one node, which merges the shards itself.
 *
 * <p>Where the client may choose among nodes (STALE reads: any replica; LINEARIZABLE reads with
 * {@link KvClientBuilder#followerReads}: any voter; the replica that forwards when a shard's leader is unknown; the
 * node that coordinates a scan; the seed to fetch the map from) the {@link LoadBalancer} chooses.
 *
 * <p>Thread-safe: share one client per process. Futures complete on gRPC or client threads: do not block
 * in their callbacks. One channel per node is opened on first use and reused; {@link #close()} closes them.
 */
public final class KvClient implements AutoCloseable {
  /** The exactly-once window of clusters whose map has no {@code write_window} (cluster.proto). */
  static final int LEGACY_WRITE_WINDOW = 64;

  private final Shared shared;
  private final Duration deadline;
  private final boolean longAttempts;

  /** Everything one client and its {@link #withDeadline} views share. */
  record Shared(ChannelPool channels, RouteCache routes, NodeCaller caller, MapRefresher refresher,
      Retrier retrier, LoadBalancer balancer, List<Endpoint> seeds, long clientId, WriteWindow writes,
      int maxWritesPerShard, ScheduledExecutorService scheduler, boolean followerReads,
      long attemptTimeoutNanos) {}

  KvClient(Shared shared, Duration deadline) {
    this(shared, deadline, false);
  }

  private KvClient(Shared shared, Duration deadline, boolean longAttempts) {
    this.shared = shared;
    this.deadline = deadline;
    this.longAttempts = longAttempts;
  }

  /**
   * A view whose every attempt may take the whole {@code callDeadline} (a blocking lock Acquire waits in
   * the server's queue; cutting the attempt short would take it out of the queue).
   */
  KvClient forLongCalls(Duration callDeadline) {
    requirePositive(callDeadline, "deadline");
    return new KvClient(shared, callDeadline, true);
  }

  public static KvClientBuilder builder() {
    return new KvClientBuilder();
  }

  /**
   * A view of this client whose calls have {@code callDeadline}; it shares connections, routes and
   * sequence numbers with this one (closing either closes both).
   */
  public KvClient withDeadline(Duration callDeadline) {
    requirePositive(callDeadline, "deadline");
    return new KvClient(shared, callDeadline);
  }

  /** The deadline of each call (all attempts and backoffs included). */
  public Duration deadline() {
    return deadline;
  }

  /** The id this client puts in the header of its writes. */
  public long clientId() {
    return shared.clientId;
  }

  /** The cluster view the client routes with now, or null before it fetched one. */
  public ClusterView cachedView() {
    return shared.routes.view();
  }

  /**
   * The node the client would send a write of {@code key} to now: the cached leader of the key's shard,
   * or 0 when unknown (or before the first map). For diagnostics and tests; it does no I/O.
   */
  public long cachedLeader(ByteString key) {
    ClusterView view = shared.routes.view();
    if (view == null || !view.routable()) {
      return 0;
    }
    return shared.routes.leader(view.table().shardForKey(key).getId()).nodeId();
  }

  /** Channels open now: one per node contacted (tests). */
  int openChannels() {
    return shared.channels.size();
  }

  /** The blocking view of this client (same connections and routes). */
  public BlockingKvClient blocking() {
    return new BlockingKvClient(this);
  }

  // ---- single-key calls ---------------------------------------------------------------------------------

  /** Reads {@code key} linearizably. {@code found} is false when the key does not exist. */
  public CompletableFuture<GetResponse> get(ByteString key) {
    return get(key, Consistency.CONSISTENCY_LINEARIZABLE);
  }

  /** Reads {@code key} at {@code consistency}. */
  public CompletableFuture<GetResponse> get(ByteString key, Consistency consistency) {
    requireKey(key);
    return call("get", key, readRouting(consistency), 0, KVGrpc.getGetMethod(),
        h -> GetRequest.newBuilder().setHeader(h).setKey(key).setConsistency(consistency).build(),
        GetResponse::getHeader);
  }

  /** Writes {@code value} at {@code key}. */
  public CompletableFuture<PutResponse> put(ByteString key, ByteString value) {
    return put(PutRequest.newBuilder().setKey(key).setValue(value).build());
  }

  /** Sends {@code request} (its header is filled in by the client). */
  public CompletableFuture<PutResponse> put(PutRequest request) {
    requireKey(request.getKey());
    return write("put", request.getKey(), KVGrpc.getPutMethod(),
        h -> request.toBuilder().setHeader(h).build(), PutResponse::getHeader);
  }

  /** Deletes {@code key}; {@code deleted} is false when it did not exist. */
  public CompletableFuture<DeleteResponse> delete(ByteString key) {
    requireKey(key);
    return write("delete", key, KVGrpc.getDeleteMethod(),
        h -> DeleteRequest.newBuilder().setHeader(h).setKey(key).build(), DeleteResponse::getHeader);
  }

  /** Writes {@code newValue} only if {@code key} holds {@code expectedValue} now. */
  public CompletableFuture<CompareAndSwapResponse> compareAndSwap(ByteString key, ByteString expectedValue,
      ByteString newValue) {
    return compareAndSwap(CompareAndSwapRequest.newBuilder().setKey(key).setExpectedValue(expectedValue)
        .setNewValue(newValue).build());
  }

  /** Writes {@code newValue} only if {@code key}'s version is {@code expectedVersion} (0: key absent). */
  public CompletableFuture<CompareAndSwapResponse> compareAndSwapVersion(ByteString key, long expectedVersion,
      ByteString newValue) {
    return compareAndSwap(CompareAndSwapRequest.newBuilder().setKey(key).setExpectedVersion(expectedVersion)
        .setNewValue(newValue).build());
  }

  /** Sends {@code request} (its header is filled in by the client). */
  public CompletableFuture<CompareAndSwapResponse> compareAndSwap(CompareAndSwapRequest request) {
    requireKey(request.getKey());
    return write("compare-and-swap", request.getKey(), KVGrpc.getCompareAndSwapMethod(),
        h -> request.toBuilder().setHeader(h).build(), CompareAndSwapResponse::getHeader);
  }

  /**
   * Runs a single-shard transaction (its header is filled in by the client), routed by its first key. A
   * transaction whose keys span shards is refused by the server (FAILED_PRECONDITION).
   */
  public CompletableFuture<TxnResponse> txn(TxnRequest request) {
    return write("txn", firstKey(request), KVGrpc.getTxnMethod(),
        h -> request.toBuilder().setHeader(h).build(), TxnResponse::getHeader);
  }

  // ---- multi-key calls ----------------------------------------------------------------------------------

  /**
   * One page of a scan (its header is filled in by the client). Pass the page's continuation token back,
   * with the same selector, for the next page.
   */
  public CompletableFuture<ScanResponse> scanPage(ScanRequest request) {
    return call("scan", null, Routing.ANY_NODE, 0, KVGrpc.getScanMethod(),
        h -> request.toBuilder().setHeader(h).build(), ScanResponse::getHeader);
  }

  /**
   * Every key of the scan, in key order: at most {@code maxKeys} of them (0: all); {@code request.limit}
   * is the page size (0: 1,000). The scan is split per shard: each shard is read page by page at its
   * leader (any replica for STALE) in parallel, and the pages are merged in key order on the client. Each
   * shard page has the client's deadline and is retried on its own. Against a node without the per-shard
   * read (or a map without shards) the client pages through the node's own cross-shard Scan instead.
   */
  public CompletableFuture<List<KeyValue>> scan(ScanRequest request, int maxKeys) {
    if (maxKeys < 0) {
      throw new IllegalArgumentException("maxKeys must be 0 (all) or more, got " + maxKeys);
    }
    if (!request.getContinuationToken().isEmpty()) {
      return scanThroughNode(request, maxKeys);
    }
    return viewForCall("scan", Deadline.after(deadline)).thenCompose(view -> {
      if (!view.routable()) {
        return scanThroughNode(request, maxKeys);
      }
      return scanPerShard(view, request, maxKeys).handle((kvs, error) -> {
        if (error != null && Failure.unwrap(error) instanceof KvException kv
            && kv.code() == Status.Code.UNIMPLEMENTED) {
          return scanThroughNode(request, maxKeys);
        }
        return error == null ? CompletableFuture.completedFuture(kvs) : CompletableFuture.<List<KeyValue>>failedFuture(error);
      }).thenCompose(f -> f);
    });
  }

  private CompletableFuture<List<KeyValue>> scanPerShard(ClusterView view, ScanRequest request, int maxKeys) {
    ByteString start;
    ByteString end;
    if (request.getSelectorCase() == ScanRequest.SelectorCase.RANGE) {
      start = request.getRange().getStart();
      end = request.getRange().getEnd();
    } else {
      start = request.getPrefix();
      end = ScanMerge.prefixEnd(request.getPrefix());
    }
    Routing routing = readRouting(request.getConsistency());
    int pageSize = request.getLimit() == 0 ? 1000 : request.getLimit();
    List<Long> shardIds = view.table().shards().stream().map(Shard::getId).toList();
    return ScanMerge.run(shardIds, start, maxKeys, pageSize, (shardId, from, limit) ->
        callShard("scan shard " + shardId, v -> v.routable() ? v.table().shard(shardId).orElse(null) : null,
            routing, 0, NodeInternalGrpc.getScanShardMethod(),
            h -> ScanShardRequest.newBuilder().setClusterId(h.getClusterId()).setShardId(shardId)
                .setStart(from).setEnd(end).setLimit(limit).setKeysOnly(request.getKeysOnly())
                .setConsistency(request.getConsistency()).build(),
            r -> ResponseHeader.getDefaultInstance(), Deadline.after(deadline))
            .thenApply(r -> new ScanMerge.Page(r.getKvsList(), r.getMayHaveMore())));
  }

  /** Pages through the cross-shard Scan of whichever node the balancer picks. */
  private CompletableFuture<List<KeyValue>> scanThroughNode(ScanRequest request, int maxKeys) {
    List<KeyValue> out = new ArrayList<>();
    return scanFrom(request, maxKeys, out).thenApply(v -> out);
  }

  private CompletableFuture<Void> scanFrom(ScanRequest request, int maxKeys, List<KeyValue> out) {
    ScanRequest.Builder page = request.toBuilder();
    if (maxKeys > 0) {
      int left = maxKeys - out.size();
      page.setLimit(request.getLimit() == 0 ? Math.min(left, 1000) : Math.min(left, request.getLimit()));
    }
    // Async: a page that completed already would otherwise recurse on this stack, once per page.
    return scanPage(page.build()).thenComposeAsync(resp -> {
      out.addAll(resp.getKvsList());
      if (resp.getContinuationToken().isEmpty() || (maxKeys > 0 && out.size() >= maxKeys)) {
        if (maxKeys > 0 && out.size() > maxKeys) {
          out.subList(maxKeys, out.size()).clear();
        }
        return CompletableFuture.<Void>completedFuture(null);
      }
      return scanFrom(request.toBuilder().setContinuationToken(resp.getContinuationToken()).build(), maxKeys,
          out);
    });
  }

  /**
   * Reads many keys: split per shard, read in parallel, answered in request order (one result per key,
   * duplicates included). Each shard's keys are read at that shard's consistency point.
   */
  public CompletableFuture<List<GetResponse>> batchGet(List<ByteString> keys, Consistency consistency) {
    keys.forEach(KvClient::requireKey);
    Routing routing = readRouting(consistency);
    return splitPerShard("batch-get", keys, k -> k, (group, groupKeys) ->
        call("batch-get", groupKeys.get(0), routing, 0, KVGrpc.getBatchGetMethod(),
            h -> BatchGetRequest.newBuilder().setHeader(h).addAllKeys(groupKeys).setConsistency(consistency)
                .build(),
            BatchGetResponse::getHeader)
            .thenApply(r -> checkCount("batch-get", r.getResultsList(), groupKeys.size())));
  }

  /**
   * Writes many keys: split per shard, written in parallel (each shard's entries atomically, the shards
   * independently), answered with one version per entry in request order.
   */
  public CompletableFuture<List<Long>> batchPut(List<KeyValue> kvs) {
    kvs.forEach(kv -> requireKey(kv.getKey()));
    return splitPerShard("batch-put", kvs, KeyValue::getKey, (group, groupKvs) ->
        write("batch-put", groupKvs.get(0).getKey(), KVGrpc.getBatchPutMethod(),
            h -> BatchPutRequest.newBuilder().setHeader(h).addAllKvs(groupKvs).build(),
            BatchPutResponse::getHeader)
            .thenApply(r -> checkCount("batch-put", r.getVersionsList(), groupKvs.size())));
  }

  /** Sends the items of one shard; completes with one result per item, in the order given. */
  @FunctionalInterface
  private interface ShardCall<I, R> {
    CompletableFuture<List<R>> send(long shardId, List<I> items);
  }

  private <I, R> CompletableFuture<List<R>> splitPerShard(String op, List<I> items,
      Function<I, ByteString> keyOf, ShardCall<I, R> send) {
    if (items.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return viewForCall(op, Deadline.after(deadline)).thenCompose(view -> {
      Map<Long, List<Integer>> positions = ShardSplit.positionsByShard(view.table(), items, keyOf);
      Object[] results = new Object[items.size()];
      List<CompletableFuture<Void>> parts = new ArrayList<>();
      positions.forEach((shardId, pos) -> {
        List<I> groupItems = pos.stream().map(items::get).toList();
        parts.add(send.send(shardId, groupItems).thenAccept(rs -> ShardSplit.scatter(rs, pos, results)));
      });
      return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
        @SuppressWarnings("unchecked")
        List<R> merged = (List<R>) Arrays.asList(results);
        return merged;
      });
    });
  }

  private static <T> List<T> checkCount(String op, List<T> results, int expected) {
    if (results.size() != expected) {
      throw new KvException(Status.Code.INTERNAL, op + ": the node answered " + results.size()
          + " results for " + expected + " entries", 1, true, null);
    }
    return results;
  }

  // ---- cluster ------------------------------------------------------------------------------------------

  /** The cluster map as a node knows it now (leader hints included); also refreshes the client's routes. */
  public CompletableFuture<ClusterMap> clusterMap() {
    return call("get-cluster-map", null, Routing.ANY_NODE, 0, ClusterGrpc.getGetClusterMapMethod(),
        h -> GetClusterMapRequest.getDefaultInstance(), m -> ResponseHeader.getDefaultInstance())
        .thenApply(map -> {
          shared.routes.install(ClusterView.of(map));
          return map;
        });
  }

  /**
   * Adds a node to the cluster (cluster.proto, AddMember); any node takes the request. Retried like any
   * call: a repeated add of the same id and address is accepted unchanged.
   */
  public CompletableFuture<AddMemberResponse> addMember(Node node) {
    return viewForCall("add-member", Deadline.after(deadline)).thenCompose(view ->
        call("add-member", null, Routing.ANY_NODE, 0, ClusterGrpc.getAddMemberMethod(),
            h -> AddMemberRequest.newBuilder().setClusterId(view.clusterId()).setNode(node).build(),
            r -> ResponseHeader.getDefaultInstance()));
  }

  /** Drains and removes a node (cluster.proto, RemoveMember); returns once the drain started. */
  public CompletableFuture<RemoveMemberResponse> removeMember(long nodeId) {
    return viewForCall("remove-member", Deadline.after(deadline)).thenCompose(view ->
        call("remove-member", null, Routing.ANY_NODE, 0, ClusterGrpc.getRemoveMemberMethod(),
            h -> RemoveMemberRequest.newBuilder().setClusterId(view.clusterId()).setNodeId(nodeId).build(),
            r -> ResponseHeader.getDefaultInstance()));
  }

  /** The members with their replica counts, and the moves in flight (cluster.proto, ListMembers). */
  public CompletableFuture<ListMembersResponse> listMembers() {
    return call("list-members", null, Routing.ANY_NODE, 0, ClusterGrpc.getListMembersMethod(),
        h -> ListMembersRequest.getDefaultInstance(), r -> ResponseHeader.getDefaultInstance());
  }

  /** The status of the node at {@code address} (one node: not retried elsewhere). */
  public CompletableFuture<NodeStatus> nodeStatus(String address) {
    Deadline dl = Deadline.after(deadline);
    Target target = new Target(address, 0, 1);
    return shared.retrier.run("get-node-status " + address, dl, (n, d) -> shared.caller.unary(target,
        ClusterGrpc.getGetNodeStatusMethod(), GetNodeStatusRequest.getDefaultInstance(), attemptTimeout(d)));
  }

  // ---- leases, locks, watches ---------------------------------------------------------------------------

  /** Leases, locks and watches through this client (lease.proto, lock.proto, watch.proto). */
  public Coordination coordination() {
    return new Coordination(this);
  }

  /** A write routed to the leader of {@code routingKey}'s shard, applied at most once (for Coordination). */
  <Req, Resp> CompletableFuture<Resp> writeRouted(String op, ByteString routingKey,
      MethodDescriptor<Req, Resp> method, Function<RequestHeader, Req> request,
      Function<Resp, ResponseHeader> headerOf) {
    return write(op, routingKey, method, request, headerOf);
  }

  /** A call to the leader of shard {@code shardId} ({@code exactlyOnce}: with a client sequence). */
  <Req, Resp> CompletableFuture<Resp> callLeaderOf(String op, long shardId, boolean exactlyOnce,
      MethodDescriptor<Req, Resp> method, Function<RequestHeader, Req> request,
      Function<Resp, ResponseHeader> headerOf) {
    Function<ClusterView, Shard> shardOf =
        view -> view.routable() ? view.table().shard(shardId).orElse(null) : null;
    Deadline dl = Deadline.after(deadline);
    if (!exactlyOnce) {
      return callShard(op, shardOf, Routing.LEADER, 0, method, request, headerOf, dl);
    }
    return viewForCall(op, dl).thenCompose(view -> withinWindow(op, shardId, view, dl,
        sequence -> callShard(op, shardOf, Routing.LEADER, sequence, method, request, headerOf, dl)));
  }

  /** One call to the node at {@code address}, retried there only. */
  <Req, Resp> CompletableFuture<Resp> callNode(String op, String address, MethodDescriptor<Req, Resp> method,
      Req request) {
    Deadline dl = Deadline.after(deadline);
    Target target = new Target(address, 0, 1);
    return shared.retrier.run(op + " " + address, dl,
        (n, d) -> shared.caller.unary(target, method, request, attemptTimeout(d)));
  }

  /** The pooled channel to a node (for streams). */
  io.grpc.Channel channelTo(String address) {
    return shared.channels.channel(address);
  }

  // ---- the one path every call takes --------------------------------------------------------------------

  private <Req, Resp> CompletableFuture<Resp> write(String op, ByteString routingKey,
      MethodDescriptor<Req, Resp> method, Function<RequestHeader, Req> request,
      Function<Resp, ResponseHeader> headerOf) {
    Deadline dl = Deadline.after(deadline);
    Function<ClusterView, Shard> shardOf = shardOfKey(routingKey);
    return viewForCall(op, dl).thenCompose(view -> {
      Shard shard = shardOf.apply(view);
      // One sequence number per write, handed out when the write fits in its shard's window and reused by
      // every attempt: the server applies it at most once.
      return withinWindow(op, shard == null ? 0 : shard.getId(), view, dl,
          sequence -> callShard(op, shardOf, Routing.LEADER, sequence, method, request, headerOf, dl));
    });
  }

  /**
   * Runs {@code send} with a sequence number once a write to {@code shardId} fits in the exactly-once
   * window, and frees its place when the call ends (answered, failed or out of time).
   */
  private <Resp> CompletableFuture<Resp> withinWindow(String op, long shardId, ClusterView view, Deadline dl,
      java.util.function.LongFunction<CompletableFuture<Resp>> send) {
    int window = Math.min(shared.maxWritesPerShard, writeWindow(view));
    CompletableFuture<WriteWindow.Ticket> admitted = shared.writes.admit(shardId, window);
    if (!admitted.isDone()) {
      long waitNanos = Math.max(0, dl.remainingNanos());
      var timeout = shared.scheduler.schedule(() -> admitted.completeExceptionally(new KvException(
          Status.Code.DEADLINE_EXCEEDED, op + " did not start within its deadline of " + dl.budget()
          + ": " + window + " earlier writes to its shard (the exactly-once window) were still unfinished",
          0, false, null)), waitNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      admitted.whenComplete((t, e) -> timeout.cancel(false));
    }
    return admitted.thenCompose(ticket -> {
      CompletableFuture<Resp> call;
      try {
        call = send.apply(ticket.sequence());
      } catch (RuntimeException e) {
        shared.writes.release(ticket);
        throw e;
      }
      return call.whenComplete((r, e) -> shared.writes.release(ticket));
    });
  }

  /** The cluster's exactly-once window (cluster.proto, Limits.write_window; 0 in older maps: 64). */
  private static int writeWindow(ClusterView view) {
    int w = view.map().getLimits().getWriteWindow();
    return w == 0 ? LEGACY_WRITE_WINDOW : w;
  }

  private static Function<ClusterView, Shard> shardOfKey(ByteString routingKey) {
    return routingKey == null ? view -> null
        : view -> view.routable() ? view.table().shardForKey(routingKey) : null;
  }

  private <Req, Resp> CompletableFuture<Resp> call(String op, ByteString routingKey, Routing routing,
      long sequence, MethodDescriptor<Req, Resp> method, Function<RequestHeader, Req> request,
      Function<Resp, ResponseHeader> headerOf) {
    return callShard(op, shardOfKey(routingKey), routing, sequence, method, request, headerOf,
        Deadline.after(deadline));
  }

  private <Req, Resp> CompletableFuture<Resp> callShard(String op, Function<ClusterView, Shard> shardOf,
      Routing routing, long sequence, MethodDescriptor<Req, Resp> method, Function<RequestHeader, Req> request,
      Function<Resp, ResponseHeader> headerOf, Deadline dl) {
    return shared.retrier.run(op, dl, (number, d) -> shared.refresher.viewFor(d)
        .thenCompose(view -> attempt(view, d, shardOf.apply(view), routing, sequence, method, request,
            headerOf)));
  }

  private CompletableFuture<ClusterView> viewForCall(String op, Deadline dl) {
    return shared.retrier.run(op, dl, (number, d) -> shared.refresher.viewFor(d));
  }

  private <Req, Resp> CompletableFuture<Resp> attempt(ClusterView view, Deadline dl, Shard shard,
      Routing routing, long sequence, MethodDescriptor<Req, Resp> method, Function<RequestHeader, Req> request,
      Function<Resp, ResponseHeader> headerOf) {
    Target target = choose(shard, routing);
    RequestHeader.Builder header = RequestHeader.newBuilder()
        .setClusterId(view.clusterId())
        .setEpoch(view.epoch());
    if (sequence != 0) {
      header.setClientId(shared.clientId).setSequence(sequence);
    }
    return shared.caller.unary(target, method, request.apply(header.build()), attemptTimeout(dl))
        .whenComplete((resp, error) -> {
          if (error == null) {
            learnFromAnswer(view, shard, target, sequence != 0, headerOf.apply(resp));
          } else {
            learnFromFailure(view, shard, target, error);
          }
        });
  }

  private Target choose(Shard shard, Routing routing) {
    RouteCache routes = shared.routes;
    List<Target> candidates;
    if (shard == null) {
      candidates = routes.allTargets();
    } else if (routing == Routing.LEADER) {
      RouteCache.Leader leader = routes.leader(shard.getId());
      if (leader.nodeId() != 0) {
        Target t = routes.target(leader.nodeId());
        if (t == null && leader.address() != null) {
          t = new Target(leader.address(), leader.nodeId(), 1);
        }
        if (t != null && !routes.isSuspect(t.address())) {
          return t;
        }
      }
      // Leader unknown: any voter of the shard can forward (and is the likeliest to know the leader).
      candidates = routes.replicaTargets(shard, false);
    } else {
      candidates = routing == Routing.ANY_NODE ? routes.allTargets()
          : routes.replicaTargets(shard, routing == Routing.ANY_REPLICA);
    }
    if (candidates.isEmpty()) {
      candidates = shared.seeds.stream().map(e -> new Target(e.toString(), 0, 1)).toList();
    }
    return shared.balancer.pick(candidates);
  }

  private void learnFromAnswer(ClusterView view, Shard shard, Target target, boolean write, ResponseHeader h) {
    shared.routes.markAnswered(target.address());
    if (h.getEpoch() > view.epoch()) {
      shared.refresher.refresh(Deadline.after(Duration.ofNanos(shared.attemptTimeoutNanos)));
    }
    // The node that served a write is the shard's leader (after any forwarding).
    if (write && shard != null && h.getShardId() == shard.getId() && h.getNodeId() != 0) {
      shared.routes.learnLeader(shard.getId(), h.getNodeId(), h.getTerm(), null);
    }
  }

  private void learnFromFailure(ClusterView view, Shard shard, Target target, Throwable error) {
    RouteCache routes = shared.routes;
    Failure f = Failure.classify(error);
    long shardId = shard == null ? 0 : shard.getId();
    if (f.notLeader().isPresent()) {
      NotLeader nl = f.notLeader().get();
      if (nl.getShardId() != 0) {
        shardId = nl.getShardId();
      }
      if (shardId != 0) {
        routes.forgetLeader(shardId, target.nodeId());
        if (nl.getLeaderNodeId() != target.nodeId() || target.nodeId() == 0) {
          routes.learnLeader(shardId, nl.getLeaderNodeId(), nl.getTerm(), nl.getLeaderAddress());
        }
      }
      if (nl.getEpoch() > view.epoch()) {
        shared.refresher.refresh(Deadline.after(Duration.ofNanos(shared.attemptTimeoutNanos)));
      }
      routes.markAnswered(target.address());
      return;
    }
    switch (f.kind()) {
      case NODE_UNAVAILABLE, ATTEMPT_TIMEOUT -> {
        if (f.answered()) {
          if (shardId != 0) {
            routes.forgetLeader(shardId, target.nodeId());
          }
        } else {
          routes.markSuspect(target.address(), target.nodeId());
          // The node may be gone for good: see whether the map moved on.
          shared.refresher.refresh(Deadline.after(Duration.ofNanos(shared.attemptTimeoutNanos)));
        }
      }
      case STALE_EPOCH -> shared.refresher.requireFresh(
          Deadline.after(Duration.ofNanos(shared.attemptTimeoutNanos)));
      default -> { }
    }
  }

  private Routing readRouting(Consistency consistency) {
    return switch (consistency) {
      case CONSISTENCY_STALE -> Routing.ANY_REPLICA;
      case CONSISTENCY_LINEARIZABLE -> shared.followerReads ? Routing.ANY_VOTER : Routing.LEADER;
      default -> Routing.LEADER;
    };
  }

  private long attemptTimeout(Deadline dl) {
    if (longAttempts) {
      return dl.remainingNanos();
    }
    return Math.min(dl.remainingNanos(), shared.attemptTimeoutNanos);
  }

  private static ByteString firstKey(TxnRequest r) {
    if (r.getCompareCount() > 0) {
      return r.getCompare(0).getKey();
    }
    for (List<TxnOp> ops : List.of(r.getSuccessList(), r.getFailureList())) {
      for (TxnOp op : ops) {
        switch (op.getOpCase()) {
          case GET: return op.getGet().getKey();
          case PUT: return op.getPut().getKey();
          case DELETE: return op.getDelete().getKey();
          default: break;
        }
      }
    }
    return null;
  }

  private static void requireKey(ByteString key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("the empty key is not allowed (keys are 1 to 4096 bytes)");
    }
  }

  static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  /** Closes every channel and the retry scheduler. Calls in flight fail; later calls throw. */
  @Override
  public void close() {
    shared.caller.close();
    shared.channels.close();
    shared.scheduler.shutdownNow();
  }
}
