package io.kvstore.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.client.Endpoint;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchGetResponse;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.LeaseGrpc;
import io.kvstore.proto.v1.LockGrpc;
import io.kvstore.proto.v1.WatchGrpc;
import io.kvstore.proto.v1.KeyRange;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.TxnGet;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnPut;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.raft.proto.RaftTransportGrpc;
import io.kvstore.server.proto.NodeInternalGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input at the edge of a real node (a child JVM): every public RPC with malformed, oversized and
 * boundary requests generated from a seed ({@code -Dedge.seed=N} replays another), undecodable message
 * bytes to every method the port serves (public, internal, health and reflection: INVALID_ARGUMENT naming
 * the method), and raw garbage bytes to the gRPC and
 * metrics ports. The node must answer each request with the status the API documents (kv.proto: INVALID_ARGUMENT
 * for a malformed request, FAILED_PRECONDITION for a cross-shard Txn or a wrong cluster id,
 * RESOURCE_EXHAUSTED past the transport's size limit), never UNKNOWN (an uncaught exception) and never hang;
 * it must stay up, and keys written before must read back byte for byte at their versions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdgeInputTest {
  private static final long SEED = Long.getLong("edge.seed", 20261128L);
  private static final int MAX_KEY = 4096;
  private static final int MAX_VALUE = 1 << 20;
  private static final int MAX_BATCH = 10_000;
  private static final Set<Status.Code> MALFORMED = EnumSet.of(Status.Code.INVALID_ARGUMENT);

  @TempDir
  static Path dir;

  private ChaosCluster cluster;
  private ManagedChannel channel;
  /** Re-seeded before each test (from the seed and the test's name), so test order changes no input. */
  private SplittableRandom random = new SplittableRandom(SEED);
  private final Map<ByteString, GetResponse> before = new LinkedHashMap<>();
  private final List<String> mismatches = new ArrayList<>();
  private int droppedConnections;

  @BeforeAll
  void startNodeAndWriteData() throws Exception {
    cluster = new ChaosCluster(dir, 1, 4, new LoopbackNetwork());
    cluster.awaitReady(Duration.ofMinutes(2));
    Endpoint e = cluster.endpoints().get(0);
    channel = NettyChannelBuilder.forAddress(e.host(), e.port()).usePlaintext()
        .maxInboundMessageSize(128 << 20).build();
    for (int i = 0; i < 200; i++) {
      ByteString key = ByteString.copyFromUtf8("edge-intact-" + i);
      ByteString value = bytes(i % 50 == 0 ? 0 : random.nextInt(1, 4097)); // empty values are allowed
      kv().put(PutRequest.newBuilder().setKey(key).setValue(value).build());
    }
    for (ByteString key : intactKeys()) {
      before.put(key, kv().get(GetRequest.newBuilder().setKey(key).build()));
    }
    assertThat(before.values()).allMatch(GetResponse::getFound);
  }

  @AfterAll
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void reset(org.junit.jupiter.api.TestInfo test) {
    mismatches.clear();
    random = new SplittableRandom(SEED ^ test.getDisplayName().hashCode());
  }

  @Test
  void everyPublicRpcRefusesMalformedInputWithTheDocumentedCode() throws Exception {
    for (int r = 0; r < 3; r++) {
      int round = r;
      ByteString okKey = bytes(random.nextInt(1, MAX_KEY + 1));
      ByteString longKey = bytes(MAX_KEY + 1 + random.nextInt(64));
      int badEnum = 3 + random.nextInt(1000);
      // Get
      expect("Get empty key", MALFORMED, () -> kv().get(GetRequest.getDefaultInstance()));
      expect("Get key over 4096 bytes", MALFORMED, () -> kv().get(GetRequest.newBuilder().setKey(longKey).build()));
      expect("Get unknown consistency " + badEnum, MALFORMED,
          () -> kv().get(GetRequest.newBuilder().setKey(okKey).setConsistencyValue(badEnum).build()));
      expect("Get key of " + okKey.size() + " random bytes", Set.of(Status.Code.OK),
          () -> kv().get(GetRequest.newBuilder().setKey(okKey).build()));
      expect("Get wrong cluster id", EnumSet.of(Status.Code.FAILED_PRECONDITION),
          () -> kv().get(GetRequest.newBuilder().setKey(okKey).setHeader(RequestHeader.newBuilder()
              .setClusterId("not-" + random.nextInt())).build()));
      // Put
      expect("Put empty key", MALFORMED, () -> kv().put(PutRequest.newBuilder().setValue(bytes(3)).build()));
      expect("Put key over 4096 bytes", MALFORMED, () -> kv().put(PutRequest.newBuilder().setKey(longKey).build()));
      expect("Put value of 1 MiB + " + (round + 1), MALFORMED, () -> kv().put(PutRequest.newBuilder()
          .setKey(okKey).setValue(bytes(MAX_VALUE + round + 1)).build()));
      expect("Put 4096-byte key, 1 MiB value (both at the limit)", Set.of(Status.Code.OK), () -> kv().put(
          PutRequest.newBuilder().setKey(bytes(MAX_KEY)).setValue(bytes(MAX_VALUE)).build()));
      // Delete
      expect("Delete empty key", MALFORMED, () -> kv().delete(DeleteRequest.getDefaultInstance()));
      expect("Delete key over 4096 bytes", MALFORMED,
          () -> kv().delete(DeleteRequest.newBuilder().setKey(longKey).build()));
      // CompareAndSwap
      expect("CAS with no expected value or version", MALFORMED, () -> kv().compareAndSwap(
          CompareAndSwapRequest.newBuilder().setKey(okKey).setNewValue(bytes(2)).build()));
      expect("CAS empty key", MALFORMED, () -> kv().compareAndSwap(
          CompareAndSwapRequest.newBuilder().setExpectedVersion(0).setNewValue(bytes(2)).build()));
      expect("CAS value over 1 MiB", MALFORMED, () -> kv().compareAndSwap(CompareAndSwapRequest.newBuilder()
          .setKey(okKey).setExpectedVersion(0).setNewValue(bytes(MAX_VALUE + 1)).build()));
      expect("CAS expected version 2^64-1", Set.of(Status.Code.OK), () -> kv().compareAndSwap(
          CompareAndSwapRequest.newBuilder().setKey(okKey).setExpectedVersion(-1L).setNewValue(bytes(2)).build()));
      // Txn
      expect("Txn with " + (MAX_BATCH + 1) + " operations", MALFORMED, () -> kv().txn(TxnRequest.newBuilder()
          .addAllSuccess(java.util.Collections.nCopies(MAX_BATCH + 1, TxnOp.newBuilder().setGet(TxnGet.newBuilder()
              .setKey(ByteString.copyFromUtf8("t{a}"))).build())).build()));
      expect("Txn compare with unknown target " + badEnum, MALFORMED, () -> kv().txn(TxnRequest.newBuilder()
          .addCompare(Compare.newBuilder().setKey(ByteString.copyFromUtf8("t{a}")).setTargetValue(badEnum))
          .addSuccess(TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(ByteString.copyFromUtf8("t{a}"))))
          .build()));
      expect("Txn put with empty key", MALFORMED, () -> kv().txn(TxnRequest.newBuilder()
          .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setValue(bytes(1)))).build()));
      expect("Txn op with nothing set", MALFORMED, () -> kv().txn(TxnRequest.newBuilder()
          .addSuccess(TxnOp.getDefaultInstance()).build()));
      expect("Txn spanning shards", EnumSet.of(Status.Code.FAILED_PRECONDITION), () -> kv().txn(crossShardTxn()));
      // Scan
      expect("Scan range start after end", MALFORMED, () -> kv().scan(ScanRequest.newBuilder().setRange(
          KeyRange.newBuilder().setStart(ByteString.copyFromUtf8("z")).setEnd(ByteString.copyFromUtf8("a")))
          .build()));
      expect("Scan unknown consistency " + badEnum, MALFORMED, () -> kv().scan(ScanRequest.newBuilder()
          .setPrefix(ByteString.copyFromUtf8("edge")).setConsistencyValue(badEnum).build()));
      expect("Scan garbage continuation token", MALFORMED, () -> kv().scan(ScanRequest.newBuilder()
          .setPrefix(ByteString.copyFromUtf8("edge")).setContinuationToken(bytes(1 + random.nextInt(64))).build()));
      expect("Scan limit 10,000 (the most)", Set.of(Status.Code.OK), () -> kv().scan(ScanRequest.newBuilder()
          .setPrefix(ByteString.copyFromUtf8("edge-intact-1")).setLimit(MAX_BATCH).build()));
      // kv.proto: "at most 10,000 (a larger value, up to 2^32-1, is INVALID_ARGUMENT)"; the uint32 is
      // read unsigned, so the message names 4294967295, not -1.
      expect("Scan limit 2^32-1", MALFORMED, () -> kv().scan(
          ScanRequest.newBuilder().setPrefix(ByteString.copyFromUtf8("edge-intact-1")).setLimit(-1).build()));
      expectMessage("Scan limit 2^32-1", "limit is 4294967295", () -> kv().scan(
          ScanRequest.newBuilder().setPrefix(ByteString.copyFromUtf8("edge-intact-1")).setLimit(-1).build()));
      // BatchGet / BatchPut
      expect("BatchGet " + (MAX_BATCH + 1) + " keys", MALFORMED, () -> kv().batchGet(BatchGetRequest.newBuilder()
          .addAllKeys(keys(MAX_BATCH + 1)).build()));
      expect("BatchGet with an empty key", MALFORMED, () -> kv().batchGet(BatchGetRequest.newBuilder()
          .addKeys(okKey).addKeys(ByteString.EMPTY).build()));
      expect("BatchGet unknown consistency", MALFORMED, () -> kv().batchGet(BatchGetRequest.newBuilder()
          .addKeys(okKey).setConsistencyValue(badEnum).build()));
      expect("BatchPut " + (MAX_BATCH + 1) + " keys", MALFORMED, () -> kv().batchPut(BatchPutRequest.newBuilder()
          .addAllKvs(keys(MAX_BATCH + 1).stream().map(k -> KeyValue.newBuilder().setKey(k).build()).toList())
          .build()));
      expect("BatchPut with a key over 4096 bytes", MALFORMED, () -> kv().batchPut(BatchPutRequest.newBuilder()
          .addKvs(KeyValue.newBuilder().setKey(longKey)).build()));
      // Cluster
      expect("GetClusterMap known epoch 2^64-1", Set.of(Status.Code.OK), () -> cl().getClusterMap(
          GetClusterMapRequest.newBuilder().setKnownEpoch(-1L).build()));
      expect("GetNodeStatus", Set.of(Status.Code.OK), () -> cl().getNodeStatus(GetNodeStatusRequest.getDefaultInstance()));
    }
    expect("BatchGet exactly 10,000 keys", Set.of(Status.Code.OK), () -> kv().batchGet(BatchGetRequest.newBuilder()
        .addAllKeys(keys(MAX_BATCH)).build()));
    expect("Put of 70 MiB (over the transport limit)", EnumSet.of(Status.Code.RESOURCE_EXHAUSTED), () -> kv().put(
        PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("huge")).setValue(ByteString.copyFrom(
            new byte[70 << 20])).build()));
    assertThat(mismatches).as("seed %d", SEED).isEmpty();
    assertNodeUpAndDataIntact();
  }

  @Test
  void undecodableMessagesToEveryMethodAreRefusedAndTheNodeStaysUp() throws Exception {
    // Every service the port serves: the public API, the node-to-node ones, health and reflection.
    List<ServiceDescriptor> services = List.of(KVGrpc.getServiceDescriptor(), ClusterGrpc.getServiceDescriptor(),
        LeaseGrpc.getServiceDescriptor(), LockGrpc.getServiceDescriptor(), WatchGrpc.getServiceDescriptor(),
        NodeInternalGrpc.getServiceDescriptor(), RaftTransportGrpc.getServiceDescriptor(),
        HealthGrpc.getServiceDescriptor(), ServerReflectionGrpc.getServiceDescriptor());
    Map<String, Map<Status.Code, Integer>> seen = new TreeMap<>();
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        for (int i = 0; i < 4; i++) {
          // Field number 0 is never valid protobuf, so these bytes cannot decode to any message.
          byte[] garbage = new byte[1 + random.nextInt(i == 3 ? 100_000 : 200)];
          random.nextBytes(garbage);
          garbage[0] = (byte) random.nextInt(8);
          Status status = rawCall(method, garbage);
          seen.computeIfAbsent(method.getFullMethodName(), k -> new TreeMap<>()).merge(status.getCode(), 1,
              Integer::sum);
          if (status.getCode() == Status.Code.UNAVAILABLE && "io exception".equals(status.getDescription())) {
            // The node dropped the connection while a large undecodable body was still being sent (seen on
            // the client-streaming RaftTransport/Send): a refusal too; the node must still be up below.
            droppedConnections++;
          } else if (status.getCode() != Status.Code.INVALID_ARGUMENT
              || status.getDescription() == null
              || !status.getDescription().contains(method.getFullMethodName())) {
            // kv.proto: a malformed request is INVALID_ARGUMENT, and the message names what was wrong.
            mismatches.add(method.getFullMethodName() + " with " + garbage.length + " undecodable bytes: "
                + status);
          }
        }
      }
    }
    MethodDescriptor<byte[], byte[]> unknown = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("kvstore.v1.KV/Nope")
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    Status unimplemented = rawCall(unknown, new byte[0]);
    if (unimplemented.getCode() != Status.Code.UNIMPLEMENTED) {
      mismatches.add("unknown method: " + unimplemented);
    }
    System.out.println("EdgeInputTest undecodable requests, codes per method: " + seen);
    if (droppedConnections > 0) {
      System.out.println("EdgeInputTest: " + droppedConnections + " undecodable requests ended with the node"
          + " closing the connection");
    }
    assertThat(mismatches).as("seed %d", SEED).isEmpty();
    assertNodeUpAndDataIntact();
  }

  @Test
  void garbageBytesOnThePortsLeaveTheNodeServing() throws Exception {
    int grpcPort = cluster.endpoints().get(0).port();
    int metricsPort = cluster.metricsPort(1);
    List<byte[]> payloads = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      payloads.add(bytes(1 + random.nextInt(i % 4 == 3 ? 1 << 20 : 4096)).toByteArray());
    }
    payloads.add("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    payloads.add("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    byte[] prefaceThenGarbage = new byte[24 + 9 + 4096];
    System.arraycopy("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, prefaceThenGarbage, 0, 24);
    byte[] tail = bytes(prefaceThenGarbage.length - 24).toByteArray();
    System.arraycopy(tail, 0, prefaceThenGarbage, 24, tail.length);
    payloads.add(prefaceThenGarbage);
    // A preface and a frame header that announces a 16 MiB HEADERS frame, then nothing.
    byte[] hugeFrame = new byte[24 + 9];
    System.arraycopy("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, hugeFrame, 0, 24);
    hugeFrame[24] = (byte) 0xff;
    hugeFrame[25] = (byte) 0xff;
    hugeFrame[26] = (byte) 0xff;
    hugeFrame[27] = 0x01;
    hugeFrame[32] = 0x01;
    payloads.add(hugeFrame);
    for (byte[] p : payloads) {
      sendRaw(grpcPort, p);
      sendRaw(metricsPort, p);
    }
    assertNodeUpAndDataIntact();
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  private KVGrpc.KVBlockingStub kv() {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private ClusterGrpc.ClusterBlockingStub cl() {
    return ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private void expect(String what, Set<Status.Code> allowed, Supplier<?> call) {
    Status.Code code;
    String description = "";
    try {
      call.get();
      code = Status.Code.OK;
    } catch (StatusRuntimeException e) {
      code = e.getStatus().getCode();
      description = String.valueOf(e.getStatus().getDescription());
    }
    if (!allowed.contains(code)) {
      mismatches.add(what + ": expected " + allowed + ", got " + code + " " + description);
    }
  }

  private void expectMessage(String what, String part, Supplier<?> call) {
    try {
      call.get();
      mismatches.add(what + ": expected a refusal saying '" + part + "', got OK");
    } catch (StatusRuntimeException e) {
      String d = String.valueOf(e.getStatus().getDescription());
      if (!d.contains(part)) {
        mismatches.add(what + ": expected a message saying '" + part + "', got " + e.getStatus());
      }
    }
  }

  private void assertNodeUpAndDataIntact() {
    assertThat(cluster.node(1).isAlive()).as("node process alive").isTrue();
    assertThat(cl().getNodeStatus(GetNodeStatusRequest.getDefaultInstance()).getNode().getId()).isEqualTo(1);
    for (Map.Entry<ByteString, GetResponse> e : before.entrySet()) {
      GetResponse now = kv().get(GetRequest.newBuilder().setKey(e.getKey())
          .setConsistency(Consistency.CONSISTENCY_LINEARIZABLE).build());
      assertThat(now.getFound()).as("%s found", e.getKey().toStringUtf8()).isTrue();
      assertThat(now.getKv().getValue()).as("%s value", e.getKey().toStringUtf8())
          .isEqualTo(e.getValue().getKv().getValue());
      assertThat(now.getKv().getVersion()).as("%s version", e.getKey().toStringUtf8())
          .isEqualTo(e.getValue().getKv().getVersion());
    }
    BatchGetResponse all = kv().batchGet(BatchGetRequest.newBuilder().addAllKeys(before.keySet()).build());
    assertThat(all.getResultsList()).allMatch(GetResponse::getFound);
    kv().put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("edge-after")).setValue(bytes(10)).build());
  }

  private List<ByteString> intactKeys() {
    List<ByteString> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add(ByteString.copyFromUtf8("edge-intact-" + i));
    }
    return keys;
  }

  private List<ByteString> keys(int n) {
    List<ByteString> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keys.add(ByteString.copyFromUtf8("edge-batch-" + i));
    }
    return keys;
  }

  /** A Txn over two keys the node places in different shards. */
  private TxnRequest crossShardTxn() {
    var map = cl().getClusterMap(GetClusterMapRequest.getDefaultInstance());
    io.kvstore.client.ClusterView view = io.kvstore.client.ClusterView.of(map);
    ByteString first = ByteString.copyFromUtf8("x0");
    long shard = view.table().shardForKey(first).getId();
    for (int i = 1; i < 1000; i++) {
      ByteString other = ByteString.copyFromUtf8("x" + i);
      if (view.table().shardForKey(other).getId() != shard) {
        return TxnRequest.newBuilder()
            .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(first).setValue(bytes(1))))
            .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(other).setValue(bytes(1))))
            .build();
      }
    }
    throw new IllegalStateException("all of 1000 keys in one shard");
  }

  private ByteString bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  /** Sends {@code body} as the one request message of {@code method} (any call type) and waits for the status. */
  private Status rawCall(MethodDescriptor<?, ?> method, byte[] body) throws Exception {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(method.getType()).setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(body);
    call.halfClose();
    return closed.get(60, TimeUnit.SECONDS);
  }

  /** Writes {@code payload} to a fresh connection, then reads whatever comes back until EOF or 5 s pass. */
  private static void sendRaw(int port, byte[] payload) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(payload);
        out.flush();
        s.shutdownOutput();
      } catch (IOException e) {
        return; // the node closed the connection while we were still writing: that is a fine answer
      }
      byte[] buf = new byte[8192];
      InputStream in = s.getInputStream();
      try {
        while (in.read(buf) >= 0) {
          // drain
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // no answer (or a reset) is a fine answer to garbage
      }
    }
  }
}
