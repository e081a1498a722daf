package io.kvstore.client;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchGetResponse;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.ResponseHeader;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.proto.v1.StaleEpoch;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnOpResult;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import io.kvstore.ring.RoutingTable;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.proto.ScanShardRequest;
import io.kvstore.server.proto.ScanShardResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small in-process stand-in for a kvstore cluster, for the client's tests: real gRPC servers on 127.0.0.1
 * (port 0), one shared in-memory store, a real cluster map from {@link RoutingTable#bootstrap}, and knobs
 * for what a routing client must survive: a leader per shard that the test moves ({@link #moveLeader}),
 * NotLeader redirects from every other node, epoch changes, a node that goes down and comes back, and a
 * per-node delay. Nodes do not forward by default (so a wrongly routed request is visible as a redirect);
 * {@link #forwarding} turns forwarding on. Requests are counted per node and method.
 */
final class FakeCluster implements AutoCloseable {
  static final String CLUSTER_ID = "fake";

  final int size;
  final int shardCount;
  private final int[] weights;
  private final Server[] servers;
  private final int[] ports;
  private final boolean[] down;
  private final long[] delayMillis;
  private final ScheduledExecutorService delayer = Executors.newScheduledThreadPool(2);

  private volatile RoutingTable table;
  private final Map<Long, Long> leaderOf = new ConcurrentHashMap<>(); // shard -> node (0: electing)
  private final Map<Long, Long> termOf = new ConcurrentHashMap<>();
  private final TreeMap<ByteString, KeyValue> store = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  private final Map<String, Object> applied = new ConcurrentHashMap<>(); // "client/seq" -> response
  private final AtomicLong version = new AtomicLong();
  final AtomicInteger appliedWrites = new AtomicInteger();
  final List<String> writeIds = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  volatile boolean forwarding;
  volatile boolean strictEpoch;
  volatile boolean scanShardImplemented = true;
  /** Lose the response of this many applied writes (the write is applied, the client sees UNAVAILABLE). */
  final AtomicInteger loseWriteResponses = new AtomicInteger();

  FakeCluster(int size, int shardCount) {
    this(size, shardCount, null);
  }

  FakeCluster(int size, int shardCount, int[] weights) {
    this.size = size;
    this.shardCount = shardCount;
    this.weights = weights;
    servers = new Server[size + 1];
    ports = new int[size + 1];
    down = new boolean[size + 1];
    delayMillis = new long[size + 1];
    for (int id = 1; id <= size; id++) {
      servers[id] = startServer(id, 0);
      ports[id] = servers[id].getPort();
    }
    table = buildTable(1);
    for (Shard s : table.shards()) {
      leaderOf.put(s.getId(), s.getReplicas(0).getNodeId());
      termOf.put(s.getId(), 1L);
    }
  }

  private RoutingTable buildTable(long epoch) {
    List<Node> nodes = new ArrayList<>();
    for (int id = 1; id <= size; id++) {
      nodes.add(Node.newBuilder().setId(id).setAddress(address(id))
          .setWeight(weights == null ? 1 : weights[id - 1]).build());
    }
    RoutingTable t = RoutingTable.bootstrap(CLUSTER_ID, nodes, shardCount, Math.min(3, size),
        Limits.newBuilder().setMaxKeyBytes(4096).setMaxValueBytes(1 << 20).setMaxBatchKeys(10_000).build());
    return RoutingTable.of(t.toClusterMap().toBuilder().setEpoch(epoch).build());
  }

  private Server startServer(long id, int port) {
    try {
      return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .addService(new Kv(id)).addService(new Cluster(id)).addService(new Internal(id))
          .build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String address(long id) {
    return "127.0.0.1:" + ports[(int) id];
  }

  String seeds() {
    List<String> all = new ArrayList<>();
    for (int id = 1; id <= size; id++) {
      all.add(address(id));
    }
    return String.join(",", all);
  }

  RoutingTable table() {
    return table;
  }

  /** Puts back the first map (undoes AddMember / RemoveMember). */
  void resetMap() {
    table = buildTable(1);
  }

  long shardOf(ByteString key) {
    return table.shardForKey(key).getId();
  }

  long leaderOf(long shardId) {
    return leaderOf.get(shardId);
  }

  List<Long> replicasOf(long shardId) {
    return table.shard(shardId).orElseThrow().getReplicasList().stream().map(r -> r.getNodeId()).toList();
  }

  /** Makes {@code nodeId} the leader of {@code shardId} in a new term (0: an election is running). */
  synchronized void moveLeader(long shardId, long nodeId) {
    termOf.merge(shardId, 1L, Long::sum);
    leaderOf.put(shardId, nodeId);
  }

  /** A new cluster-map epoch (same shards); requests with an older epoch are refused when strict. */
  synchronized void bumpEpoch() {
    table = buildTable(table.epoch() + 1);
  }

  long epoch() {
    return table.epoch();
  }

  /** Stops the node's server: connections to it are refused until {@link #up}. */
  synchronized void down(long id) {
    down[(int) id] = true;
    servers[(int) id].shutdownNow();
    try {
      servers[(int) id].awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized void up(long id) {
    servers[(int) id] = startServer(id, ports[(int) id]);
    down[(int) id] = false;
  }

  void delay(long id, long millis) {
    delayMillis[(int) id] = millis;
  }

  int count(long nodeId, String method) {
    AtomicInteger c = counts.get(nodeId + "/" + method);
    return c == null ? 0 : c.get();
  }

  int countAll(String method) {
    int total = 0;
    for (int id = 1; id <= size; id++) {
      total += count(id, method);
    }
    return total;
  }

  void resetCounts() {
    counts.clear();
  }

  @Override
  public void close() {
    for (int id = 1; id <= size; id++) {
      servers[id].shutdownNow();
    }
    delayer.shutdownNow();
  }

  // ---- serving ------------------------------------------------------------------------------------------

  private ResponseHeader header(long shardId, long nodeId) {
    return ResponseHeader.newBuilder().setShardId(shardId).setNodeId(nodeId)
        .setTerm(shardId == 0 ? 0 : termOf.get(shardId)).setEpoch(table.epoch()).build();
  }

  /**
   * Null when node {@code nodeId} may serve a request for {@code shardId} (leader, forwarding, or any
   * replica for STALE); otherwise the error it answers with.
   */
  private StatusRuntimeException refusal(long nodeId, long shardId, boolean anyReplica, RequestHeader h) {
    return refusal(nodeId, shardId, anyReplica, h, forwarding);
  }

  private StatusRuntimeException refusal(long nodeId, long shardId, boolean anyReplica, RequestHeader h,
      boolean forward) {
    if (strictEpoch && h.getEpoch() != 0 && h.getEpoch() < table.epoch()) {
      return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
          .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage("stale epoch " + h.getEpoch())
          .addDetails(Any.pack(StaleEpoch.newBuilder().setRequestEpoch(h.getEpoch())
              .setCurrentEpoch(table.epoch()).build())).build());
    }
    long leader = leaderOf.get(shardId);
    if (anyReplica && replicasOf(shardId).contains(nodeId)) {
      return null;
    }
    if (leader == nodeId || (forward && leader != 0 && !down[(int) leader])) {
      return null;
    }
    NotLeader.Builder nl = NotLeader.newBuilder().setShardId(shardId).setTerm(termOf.get(shardId))
        .setEpoch(table.epoch());
    if (leader != 0) {
      nl.setLeaderNodeId(leader).setLeaderAddress(address(leader));
    }
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.UNAVAILABLE_VALUE).setMessage("node " + nodeId + " does not lead shard " + shardId)
        .addDetails(Any.pack(nl.build())).build());
  }

  private <T> void answer(long nodeId, String method, StreamObserver<T> out, java.util.function.Supplier<T> body) {
    counts.computeIfAbsent(nodeId + "/" + method, k -> new AtomicInteger()).incrementAndGet();
    Runnable run = () -> {
      try {
        out.onNext(body.get());
        out.onCompleted();
      } catch (StatusRuntimeException e) {
        out.onError(e);
      }
    };
    long d = delayMillis[(int) nodeId];
    if (d > 0) {
      delayer.schedule(run, d, TimeUnit.MILLISECONDS);
    } else {
      run.run();
    }
  }

  /** Applies a write once per (client id, sequence); a repeat returns the first answer. */
  @SuppressWarnings("unchecked")
  private synchronized <T> T applyOnce(RequestHeader h, java.util.function.Supplier<T> write) {
    writeIds.add(h.getClientId() + "/" + h.getSequence());
    String id = h.getClientId() + "/" + h.getSequence();
    if (h.getClientId() != 0 && applied.containsKey(id)) {
      return (T) applied.get(id);
    }
    T result = write.get();
    appliedWrites.incrementAndGet();
    if (h.getClientId() != 0) {
      applied.put(id, result);
    }
    if (loseWriteResponses.get() > 0 && loseWriteResponses.decrementAndGet() >= 0) {
      throw io.grpc.Status.UNAVAILABLE.withDescription("response lost (test)").asRuntimeException();
    }
    return result;
  }

  private void check(long nodeId, long shardId, boolean anyReplica, RequestHeader h) {
    StatusRuntimeException e = refusal(nodeId, shardId, anyReplica, h);
    if (e != null) {
      throw e;
    }
  }

  private synchronized GetResponse read(ByteString key, ResponseHeader header) {
    KeyValue kv = store.get(key);
    GetResponse.Builder b = GetResponse.newBuilder().setHeader(header).setFound(kv != null);
    if (kv != null) {
      b.setKv(kv);
    }
    return b.build();
  }

  private synchronized long write(ByteString key, ByteString value) {
    long v = version.incrementAndGet();
    KeyValue old = store.get(key);
    store.put(key, KeyValue.newBuilder().setKey(key).setValue(value).setVersion(v)
        .setCreateVersion(old == null ? v : old.getCreateVersion()).build());
    return v;
  }

  private final class Kv extends KVGrpc.KVImplBase {
    final long id;

    Kv(long id) {
      this.id = id;
    }

    @Override
    public void get(GetRequest r, StreamObserver<GetResponse> out) {
      answer(id, "Get", out, () -> {
        long shard = shardOf(r.getKey());
        check(id, shard, r.getConsistency() == Consistency.CONSISTENCY_STALE, r.getHeader());
        return read(r.getKey(), header(shard, id));
      });
    }

    @Override
    public void put(PutRequest r, StreamObserver<PutResponse> out) {
      answer(id, "Put", out, () -> {
        long shard = shardOf(r.getKey());
        check(id, shard, false, r.getHeader());
        return applyOnce(r.getHeader(), () -> PutResponse.newBuilder()
            .setHeader(header(shard, leaderOf(shard))).setVersion(write(r.getKey(), r.getValue())).build());
      });
    }

    @Override
    public void delete(DeleteRequest r, StreamObserver<DeleteResponse> out) {
      answer(id, "Delete", out, () -> {
        long shard = shardOf(r.getKey());
        check(id, shard, false, r.getHeader());
        return applyOnce(r.getHeader(), () -> {
          synchronized (FakeCluster.this) {
            boolean existed = store.remove(r.getKey()) != null;
            return DeleteResponse.newBuilder().setHeader(header(shard, leaderOf(shard))).setDeleted(existed)
                .setVersion(version.incrementAndGet()).build();
          }
        });
      });
    }

    @Override
    public void compareAndSwap(CompareAndSwapRequest r, StreamObserver<CompareAndSwapResponse> out) {
      answer(id, "CompareAndSwap", out, () -> {
        long shard = shardOf(r.getKey());
        check(id, shard, false, r.getHeader());
        return applyOnce(r.getHeader(), () -> {
          synchronized (FakeCluster.this) {
            KeyValue cur = store.get(r.getKey());
            boolean ok = r.hasExpectedValue() ? cur != null && cur.getValue().equals(r.getExpectedValue())
                : (cur == null ? 0 : cur.getVersion()) == r.getExpectedVersion();
            CompareAndSwapResponse.Builder b = CompareAndSwapResponse.newBuilder()
                .setHeader(header(shard, leaderOf(shard))).setSucceeded(ok);
            if (ok) {
              b.setVersion(write(r.getKey(), r.getNewValue()));
            } else if (cur != null) {
              b.setCurrent(cur).setVersion(version.get());
            }
            return b.build();
          }
        });
      });
    }

    @Override
    public void txn(TxnRequest r, StreamObserver<TxnResponse> out) {
      answer(id, "Txn", out, () -> {
        ByteString first = r.getCompareCount() > 0 ? r.getCompare(0).getKey() : ByteString.copyFromUtf8("x");
        long shard = shardOf(first);
        check(id, shard, false, r.getHeader());
        return applyOnce(r.getHeader(), () -> {
          synchronized (FakeCluster.this) {
            boolean ok = r.getCompareList().stream().allMatch(this::holds);
            long v = version.incrementAndGet();
            TxnResponse.Builder b = TxnResponse.newBuilder().setHeader(header(shard, leaderOf(shard)))
                .setSucceeded(ok).setVersion(v);
            for (TxnOp op : ok ? r.getSuccessList() : r.getFailureList()) {
              switch (op.getOpCase()) {
                case GET -> b.addResults(TxnOpResult.newBuilder().setGet(read(op.getGet().getKey(),
                    ResponseHeader.getDefaultInstance())));
                case PUT -> b.addResults(TxnOpResult.newBuilder().setPut(PutResponse.newBuilder()
                    .setVersion(write(op.getPut().getKey(), op.getPut().getValue()))));
                case DELETE -> b.addResults(TxnOpResult.newBuilder().setDelete(DeleteResponse.newBuilder()
                    .setDeleted(store.remove(op.getDelete().getKey()) != null).setVersion(v)));
                default -> { }
              }
            }
            return b.build();
          }
        });
      });
    }

    private boolean holds(Compare c) {
      KeyValue kv = store.get(c.getKey());
      int cmp;
      if (c.getTarget() == Compare.Target.TARGET_VERSION) {
        cmp = Long.compare(kv == null ? 0 : kv.getVersion(), c.getVersion());
      } else {
        if (kv == null) {
          return c.getResult() == Compare.Result.RESULT_NOT_EQUAL;
        }
        cmp = ByteString.unsignedLexicographicalComparator().compare(kv.getValue(), c.getValue());
      }
      return switch (c.getResult()) {
        case RESULT_EQUAL -> cmp == 0;
        case RESULT_NOT_EQUAL -> cmp != 0;
        case RESULT_GREATER -> cmp > 0;
        case RESULT_LESS -> cmp < 0;
        default -> false;
      };
    }

    @Override
    public void scan(ScanRequest r, StreamObserver<ScanResponse> out) {
      answer(id, "Scan", out, () -> {
        ByteString start = r.hasRange() ? r.getRange().getStart() : r.getPrefix();
        ByteString end = r.hasRange() ? r.getRange().getEnd() : ScanMerge.prefixEnd(r.getPrefix());
        if (!r.getContinuationToken().isEmpty()) {
          start = ScanMerge.successor(r.getContinuationToken());
        }
        int limit = r.getLimit() == 0 ? 1000 : r.getLimit();
        List<KeyValue> kvs = range(start, end, limit + 1, null);
        ScanResponse.Builder b = ScanResponse.newBuilder().setHeader(header(0, id));
        b.addAllKvs(kvs.subList(0, Math.min(limit, kvs.size())));
        if (kvs.size() > limit) {
          b.setContinuationToken(kvs.get(limit - 1).getKey());
        }
        return b.build();
      });
    }

    @Override
    public void batchGet(BatchGetRequest r, StreamObserver<BatchGetResponse> out) {
      answer(id, "BatchGet", out, () -> {
        BatchGetResponse.Builder b = BatchGetResponse.newBuilder().setHeader(header(0, id));
        for (ByteString k : r.getKeysList()) {
          check(id, shardOf(k), r.getConsistency() == Consistency.CONSISTENCY_STALE, r.getHeader());
          b.addResults(read(k, header(shardOf(k), id)));
        }
        return b.build();
      });
    }

    @Override
    public void batchPut(BatchPutRequest r, StreamObserver<BatchPutResponse> out) {
      answer(id, "BatchPut", out, () -> {
        for (KeyValue kv : r.getKvsList()) {
          check(id, shardOf(kv.getKey()), false, r.getHeader());
        }
        return applyOnce(r.getHeader(), () -> {
          BatchPutResponse.Builder b = BatchPutResponse.newBuilder().setHeader(header(0, id));
          for (KeyValue kv : r.getKvsList()) {
            b.addVersions(write(kv.getKey(), kv.getValue()));
          }
          return b.build();
        });
      });
    }
  }

  /** Keys in [start, end) (end empty: unbounded), optionally of one shard only, at most limit. */
  private synchronized List<KeyValue> range(ByteString start, ByteString end, int limit, Long shardId) {
    List<KeyValue> kvs = new ArrayList<>();
    var view = end.isEmpty() ? store.tailMap(start, true) : store.subMap(start, true, end, false);
    for (KeyValue kv : view.values()) {
      if (shardId != null && shardOf(kv.getKey()) != shardId) {
        continue;
      }
      if (kvs.size() == limit) {
        break;
      }
      kvs.add(kv);
    }
    return kvs;
  }

  private final class Internal extends NodeInternalGrpc.NodeInternalImplBase {
    final long id;

    Internal(long id) {
      this.id = id;
    }

    @Override
    public void scanShard(ScanShardRequest r, StreamObserver<ScanShardResponse> out) {
      if (!scanShardImplemented) {
        super.scanShard(r, out);
        return;
      }
      answer(id, "ScanShard", out, () -> {
        // Never forwarded (internal.proto).
        StatusRuntimeException e = refusal(id, r.getShardId(),
            r.getConsistency() == Consistency.CONSISTENCY_STALE, RequestHeader.getDefaultInstance(), false);
        if (e != null) {
          throw e;
        }
        List<KeyValue> kvs = range(r.getStart(), r.getEnd(), r.getLimit(), r.getShardId());
        return ScanShardResponse.newBuilder().addAllKvs(kvs).setNodeId(id).setTerm(termOf.get(r.getShardId()))
            .setMayHaveMore(kvs.size() == r.getLimit()).build();
      });
    }
  }

  private final class Cluster extends ClusterGrpc.ClusterImplBase {
    final long id;

    Cluster(long id) {
      this.id = id;
    }

    @Override
    public void getClusterMap(GetClusterMapRequest r, StreamObserver<ClusterMap> out) {
      answer(id, "GetClusterMap", out, () -> {
        if (r.getKnownEpoch() == table.epoch()) {
          return ClusterMap.newBuilder().setUnchanged(true).build();
        }
        RoutingTable t = table;
        for (Shard s : t.shards()) {
          t = t.withLeaderHint(s.getId(), leaderOf.get(s.getId()), termOf.get(s.getId()));
        }
        return t.toClusterMap();
      });
    }

    @Override
    public void listMembers(io.kvstore.proto.v1.ListMembersRequest r,
        StreamObserver<io.kvstore.proto.v1.ListMembersResponse> out) {
      answer(id, "ListMembers", out, () -> {
        ClusterMap m = table.toClusterMap();
        var b = io.kvstore.proto.v1.ListMembersResponse.newBuilder().setEpoch(m.getEpoch())
            .addAllMoves(m.getMovesList());
        for (io.kvstore.proto.v1.Node n : m.getNodesList()) {
          int held = (int) m.getShardsList().stream()
              .filter(s -> s.getReplicasList().stream().anyMatch(x -> x.getNodeId() == n.getId())).count();
          int leads = (int) m.getShardsList().stream().filter(s -> leaderOf.get(s.getId()) == n.getId()).count();
          b.addMembers(io.kvstore.proto.v1.Member.newBuilder().setNode(n).setReplicas(held).setLeaders(leads));
        }
        return b.build();
      });
    }

    /** Adds the node to the fake's map (epoch + 1); an id in use is ALREADY_EXISTS, as on a real node. */
    @Override
    public void addMember(io.kvstore.proto.v1.AddMemberRequest r,
        StreamObserver<io.kvstore.proto.v1.AddMemberResponse> out) {
      if (table.node(r.getNode().getId()).isPresent()) {
        out.onError(io.grpc.Status.ALREADY_EXISTS.withDescription("node id " + r.getNode().getId()
            + " is already a member").asRuntimeException());
        return;
      }
      answer(id, "AddMember", out, () -> {
        ClusterMap m = table.toClusterMap();
        table = RoutingTable.of(m.toBuilder().addNodes(r.getNode()).setEpoch(m.getEpoch() + 1).build());
        return io.kvstore.proto.v1.AddMemberResponse.newBuilder().setMap(table.toClusterMap()).build();
      });
    }

    /** Marks the node LEAVING in the fake's map; an unknown node is NOT_FOUND. */
    @Override
    public void removeMember(io.kvstore.proto.v1.RemoveMemberRequest r,
        StreamObserver<io.kvstore.proto.v1.RemoveMemberResponse> out) {
      if (table.node(r.getNodeId()).isEmpty()) {
        out.onError(io.grpc.Status.NOT_FOUND.withDescription("node " + r.getNodeId() + " is not a member")
            .asRuntimeException());
        return;
      }
      answer(id, "RemoveMember", out, () -> {
        ClusterMap.Builder m = table.toClusterMap().toBuilder();
        for (int i = 0; i < m.getNodesCount(); i++) {
          if (m.getNodes(i).getId() == r.getNodeId()) {
            m.setNodes(i, m.getNodes(i).toBuilder().setState(io.kvstore.proto.v1.NodeState.NODE_STATE_LEAVING));
          }
        }
        table = RoutingTable.of(m.setEpoch(m.getEpoch() + 1).build());
        return io.kvstore.proto.v1.RemoveMemberResponse.newBuilder().setEpoch(table.epoch()).build();
      });
    }

    @Override
    public void getNodeStatus(GetNodeStatusRequest r, StreamObserver<NodeStatus> out) {
      answer(id, "GetNodeStatus", out, () -> {
        NodeStatus.Builder b = NodeStatus.newBuilder().setNode(table.node(id).orElseThrow())
            .setClusterId(CLUSTER_ID).setEpoch(table.epoch()).setVersion("fake").setUptimeMs(1234);
        for (Shard s : table.shards()) {
          if (replicasOf(s.getId()).contains(id)) {
            long leader = leaderOf.get(s.getId());
            b.addShards(ShardStatus.newBuilder().setShardId(s.getId())
                .setRole(leader == id ? RaftRole.RAFT_ROLE_LEADER : RaftRole.RAFT_ROLE_FOLLOWER)
                .setTerm(termOf.get(s.getId())).setLeaderNodeId(leader)
                .setCommitIndex(version.get()).setAppliedIndex(version.get()));
          }
        }
        return b.build();
      });
    }
  }
}
