package io.kvstore.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchGetResponse;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KeyRange;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.proto.v1.TxnGet;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnPut;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import io.kvstore.ring.RoutingTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3-node cluster in one JVM (real Raft, RocksDB, gRPC on loopback), used only through the public API
 * with plain generated stubs: any node serves any request by forwarding to the shard's leader.
 */
class ThreeNodeClusterTest {
  static final int SHARDS = 8;
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private LocalCluster cluster;

  private LocalCluster start(long snapshotEntries) {
    cluster = new LocalCluster(dir, 3, SHARDS, LocalCluster.fastOptions(snapshotEntries));
    cluster.awaitLeaders(WAIT);
    return cluster;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private PutResponse put(long via, String key, String value) {
    return Await.value(
        WAIT,
        () -> cluster.kv(via).put(PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value)).build()));
  }

  private GetResponse get(long via, String key, Consistency c) {
    return Await.value(
        WAIT,
        () -> cluster.kv(via).get(GetRequest.newBuilder().setKey(utf8(key)).setConsistency(c).build()));
  }

  @Test
  void writesThroughAnyNodeReadBackThroughAnyNode() {
    start(10_000);
    Map<String, Long> versions = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      long via = 1 + i % 3;
      PutResponse put = put(via, "any/" + i, "v" + i);
      assertThat(put.getVersion()).isPositive();
      versions.put("any/" + i, put.getVersion());
    }
    for (long via : cluster.ids()) {
      for (int i = 0; i < 30; i++) {
        GetResponse got = get(via, "any/" + i, Consistency.CONSISTENCY_LINEARIZABLE);
        assertThat(got.getFound()).as("any/%d through node %d", i, via).isTrue();
        assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("v" + i);
        assertThat(got.getKv().getVersion()).isEqualTo(versions.get("any/" + i));
      }
    }
    // The answering node names the shard and the node that served the write (its leader).
    PutResponse put = put(1, "any/0", "again");
    assertThat(put.getHeader().getShardId()).isBetween(1L, (long) SHARDS);
    RoutingTable table =
        RoutingTable.of(cluster.cluster(1).getClusterMap(GetClusterMapRequest.getDefaultInstance()));
    assertThat(table.shard(put.getHeader().getShardId()).orElseThrow().getReplicasList())
        .anyMatch(r -> r.getNodeId() == put.getHeader().getNodeId());
    assertThat(put.getHeader().getTerm()).isPositive();
    assertThat(put.getVersion()).isGreaterThan(versions.get("any/0"));

    // Delete through another node; every node then misses the key.
    DeleteRequest delete =
        DeleteRequest.newBuilder().setHeader(once(1)).setKey(utf8("any/1")).setPrevKv(true).build();
    var deleted = Await.value(WAIT, () -> cluster.kv(2).delete(delete));
    assertThat(deleted.getDeleted()).isTrue();
    assertThat(deleted.getPrevKv().getValue().toStringUtf8()).isEqualTo("v1");
    for (long via : cluster.ids()) {
      assertThat(get(via, "any/1", Consistency.CONSISTENCY_LINEARIZABLE).getFound()).isFalse();
    }
  }

  @Test
  void aReadAfterAWriteNeverSeesAnOlderValue() {
    // A hot key: every read warms the replicas' caches, every write must move them on.
    start(10_000);
    long lastVersion = 0;
    for (int i = 0; i < 40; i++) {
      PutResponse put = put(1 + i % 3, "hot", "h" + i);
      assertThat(put.getVersion()).isGreaterThan(lastVersion);
      lastVersion = put.getVersion();
      for (long via : cluster.ids()) {
        // LINEARIZABLE and LEASE reads both see every write acknowledged before they began.
        Consistency c = i % 2 == 0 ? Consistency.CONSISTENCY_LINEARIZABLE : Consistency.CONSISTENCY_LEASE;
        GetResponse got = get(via, "hot", c);
        assertThat(got.getKv().getValue().toStringUtf8()).as("%s read %d through node %d", c, i, via)
            .isEqualTo("h" + i);
        assertThat(got.getKv().getVersion()).isEqualTo(put.getVersion());
      }
    }
  }

  @Test
  void batchCallsSplitPerShardAndAnswerInRequestOrder() {
    start(10_000);
    BatchPutRequest.Builder batch = BatchPutRequest.newBuilder();
    for (int i = 0; i < 50; i++) {
      batch.addKvs(KeyValue.newBuilder().setKey(utf8("batch/" + i)).setValue(utf8("b" + i)));
    }
    BatchPutResponse written = Await.value(WAIT, () -> cluster.kv(3).batchPut(batch.build()));
    assertThat(written.getVersionsList()).hasSize(50).allMatch(v -> v > 0);

    BatchGetRequest.Builder keys = BatchGetRequest.newBuilder();
    for (int i = 49; i >= 0; i--) {
      keys.addKeys(utf8("batch/" + i));
    }
    keys.addKeys(utf8("batch/missing")).addKeys(utf8("batch/7")); // a miss and a duplicate
    BatchGetResponse read = Await.value(WAIT, () -> cluster.kv(1).batchGet(keys.build()));
    assertThat(read.getResultsList()).hasSize(52);
    for (int i = 0; i < 50; i++) {
      GetResponse r = read.getResults(49 - i);
      assertThat(r.getKv().getKey().toStringUtf8()).isEqualTo("batch/" + i);
      assertThat(r.getKv().getValue().toStringUtf8()).isEqualTo("b" + i);
      assertThat(r.getKv().getVersion()).isEqualTo(written.getVersions(i));
    }
    assertThat(read.getResults(50).getFound()).isFalse();
    assertThat(read.getResults(51).getKv().getValue().toStringUtf8()).isEqualTo("b7");
  }

  @Test
  void scanMergesEveryShardInKeyOrderAcrossPages() {
    start(10_000);
    TreeMap<String, String> expected = new TreeMap<>();
    BatchPutRequest.Builder batch = BatchPutRequest.newBuilder();
    for (int i = 0; i < 200; i++) {
      String key = String.format("scan/%03d", (i * 37) % 200); // written out of order
      expected.put(key, "s" + i);
      batch.addKvs(KeyValue.newBuilder().setKey(utf8(key)).setValue(utf8("s" + i)));
    }
    batch.addKvs(KeyValue.newBuilder().setKey(utf8("scam")).setValue(utf8("outside the prefix")));
    batch.addKvs(KeyValue.newBuilder().setKey(utf8("scan0")).setValue(utf8("outside too")));
    Await.value(WAIT, () -> cluster.kv(2).batchPut(batch.build()));

    // The keys spread over several shards, so the merge has work to do.
    RoutingTable table = RoutingTable.of(cluster.cluster(1).getClusterMap(GetClusterMapRequest.getDefaultInstance()));
    assertThat(expected.keySet().stream().map(k -> table.shardForKey(utf8(k)).getId()).distinct().count())
        .isEqualTo(SHARDS);

    List<KeyValue> seen = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    int pages = 0;
    do {
      ScanRequest request =
          ScanRequest.newBuilder()
              .setPrefix(utf8("scan/"))
              .setLimit(17)
              .setContinuationToken(token)
              .build();
      long via = 1 + pages % 3; // page after page through different nodes
      ScanResponse page = Await.value(WAIT, () -> cluster.kv(via).scan(request));
      assertThat(page.getKvsCount()).isLessThanOrEqualTo(17);
      seen.addAll(page.getKvsList());
      token = page.getContinuationToken();
      assertThat(++pages).as("pages").isLessThan(30);
    } while (!token.isEmpty());
    assertThat(seen.stream().map(kv -> kv.getKey().toStringUtf8()).toList())
        .containsExactlyElementsOf(expected.keySet());
    assertThat(seen.stream().map(kv -> kv.getValue().toStringUtf8()).toList())
        .containsExactlyElementsOf(expected.values());
    assertThat(seen).allMatch(kv -> kv.getVersion() > 0);

    // A range, keys only, stale reads from whatever replica serves.
    ScanRequest rangeRequest =
        ScanRequest.newBuilder()
            .setRange(KeyRange.newBuilder().setStart(utf8("scan/050")).setEnd(utf8("scan/060")))
            .setKeysOnly(true)
            .setConsistency(Consistency.CONSISTENCY_STALE)
            .build();
    // Stale reads on node 2's replicas may trail the batch for a moment.
    Await.until(WAIT, "node 2 serves the range", () -> Await.value(WAIT, () -> cluster.kv(2).scan(rangeRequest))
        .getKvsCount() == 10);
    ScanResponse range = cluster.kv(2).scan(rangeRequest);
    assertThat(range.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList())
        .containsExactlyElementsOf(expected.subMap("scan/050", "scan/060").keySet());
    assertThat(range.getKvsList()).allMatch(kv -> kv.getValue().isEmpty());
    assertThat(range.getContinuationToken()).isEmpty();
  }

  @Test
  void compareAndSwapAndTxnFollowTheirContract() {
    start(10_000);
    var kv = cluster.kv(1);
    // Create-if-absent.
    CompareAndSwapResponse created =
        Await.value(WAIT, () -> kv.compareAndSwap(
            CompareAndSwapRequest.newBuilder().setHeader(once(1)).setKey(utf8("cas")).setExpectedVersion(0)
                .setNewValue(utf8("one")).build()));
    assertThat(created.getSucceeded()).isTrue();
    CompareAndSwapResponse again =
        Await.value(WAIT, () -> kv.compareAndSwap(CompareAndSwapRequest.newBuilder().setHeader(once(2))
            .setKey(utf8("cas")).setExpectedVersion(0).setNewValue(utf8("two")).build()));
    assertThat(again.getSucceeded()).isFalse();
    assertThat(again.getCurrent().getValue().toStringUtf8()).isEqualTo("one");
    assertThat(again.getCurrent().getVersion()).isEqualTo(created.getVersion());
    CompareAndSwapResponse byValue =
        Await.value(WAIT, () -> cluster.kv(3).compareAndSwap(CompareAndSwapRequest.newBuilder()
            .setHeader(once(3)).setKey(utf8("cas")).setExpectedValue(utf8("one")).setNewValue(utf8("two"))
            .build()));
    assertThat(byValue.getSucceeded()).isTrue();
    assertThat(byValue.getVersion()).isGreaterThan(created.getVersion());
    assertThat(get(2, "cas", Consistency.CONSISTENCY_LINEARIZABLE).getKv().getValue().toStringUtf8())
        .isEqualTo("two");

    // A Txn over keys sharing a hash tag: the first runs `success`, the second finds the key and runs
    // `failure`.
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(utf8("user:{42}:name"))
                .setTarget(Compare.Target.TARGET_VERSION).setResult(Compare.Result.RESULT_EQUAL).setVersion(0))
            .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(utf8("user:{42}:name")).setValue(utf8("ada"))))
            .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(utf8("user:{42}:email")).setValue(utf8("ada@x"))))
            .addFailure(TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(utf8("user:{42}:name"))))
            .build();
    TxnResponse first = Await.value(WAIT, () -> cluster.kv(2).txn(txn.toBuilder().setHeader(once(4)).build()));
    assertThat(first.getSucceeded()).isTrue();
    assertThat(first.getResultsList()).hasSize(2);
    assertThat(first.getResults(0).getPut().getVersion()).isEqualTo(first.getVersion());
    TxnResponse second = Await.value(WAIT, () -> cluster.kv(3).txn(txn.toBuilder().setHeader(once(5)).build()));
    assertThat(second.getSucceeded()).isFalse();
    assertThat(second.getResults(0).getGet().getKv().getValue().toStringUtf8()).isEqualTo("ada");
    assertThat(get(1, "user:{42}:email", Consistency.CONSISTENCY_LINEARIZABLE).getKv().getVersion())
        .isEqualTo(first.getVersion());

    // Across shards without a shared tag: refused, and nothing written.
    String a = "txn-a";
    String b = otherShardKey(a);
    StatusRuntimeException refused =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                cluster.kv(1).txn(
                    TxnRequest.newBuilder()
                        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(utf8(a)).setValue(utf8("x"))))
                        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(utf8(b)).setValue(utf8("x"))))
                        .build()));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(get(2, a, Consistency.CONSISTENCY_LINEARIZABLE).getFound()).isFalse();
    assertThat(get(2, b, Consistency.CONSISTENCY_LINEARIZABLE).getFound()).isFalse();
  }

  /** A header with this test's client id and {@code sequence}: a retry of the write is applied once. */
  private static RequestHeader once(long sequence) {
    return RequestHeader.newBuilder().setClientId(31337).setSequence(sequence).build();
  }

  private String otherShardKey(String key) {
    RoutingTable table = RoutingTable.of(cluster.cluster(1).getClusterMap(GetClusterMapRequest.getDefaultInstance()));
    long shard = table.shardForKey(utf8(key)).getId();
    for (int i = 0; ; i++) {
      if (table.shardForKey(utf8("other-" + i)).getId() != shard) {
        return "other-" + i;
      }
    }
  }

  @Test
  void aRetriedWriteIsAppliedOnce() {
    start(10_000);
    PutRequest write =
        PutRequest.newBuilder()
            .setHeader(RequestHeader.newBuilder().setClusterId(LocalCluster.CLUSTER_ID).setClientId(77).setSequence(1))
            .setKey(utf8("once"))
            .setValue(utf8("first"))
            .build();
    PutResponse original = Await.value(WAIT, () -> cluster.kv(1).put(write));
    PutResponse other = put(2, "once", "second"); // another client writes after it
    // The retry (say after a timeout) through another node: answered with the original result, not
    // applied again, so the later write survives.
    PutResponse retried = Await.value(WAIT, () -> cluster.kv(3).put(write));
    assertThat(retried.getVersion()).isEqualTo(original.getVersion());
    GetResponse now = get(1, "once", Consistency.CONSISTENCY_LINEARIZABLE);
    assertThat(now.getKv().getValue().toStringUtf8()).isEqualTo("second");
    assertThat(now.getKv().getVersion()).isEqualTo(other.getVersion());
  }

  @Test
  void writesContinueAfterTheLeaderOfAShardIsClosed() {
    start(10_000);
    String key = "failover";
    PutResponse before = put(1, key, "before");
    long shard = before.getHeader().getShardId();
    long leader = cluster.leaderOf(shard).orElseThrow();
    cluster.stop(leader);
    long survivor = cluster.ids().stream().filter(cluster::isRunning).findFirst().orElseThrow();
    Await.until(WAIT, "a new leader of shard " + shard, () -> cluster.leaderOf(shard).isPresent());
    PutResponse after = put(survivor, key, "after");
    assertThat(after.getVersion()).isGreaterThan(before.getVersion());
    assertThat(after.getHeader().getNodeId()).isNotEqualTo(leader);
    for (long via : cluster.ids()) {
      if (cluster.isRunning(via)) {
        assertThat(get(via, key, Consistency.CONSISTENCY_LINEARIZABLE).getKv().getValue().toStringUtf8())
            .isEqualTo("after");
      }
    }
  }

  /** {@code count} puts of {@code prefix + i → "l" + i}, 32 at a time, through nodes 1 and 2. */
  private void putConcurrently(String prefix, int count) {
    List<com.google.common.util.concurrent.ListenableFuture<PutResponse>> inFlight = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      PutRequest put =
          PutRequest.newBuilder().setKey(utf8(prefix + i)).setValue(utf8("l" + i)).build();
      inFlight.add(
          io.kvstore.proto.v1.KVGrpc.newFutureStub(cluster.channel(1 + i % 2))
              .withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS)
              .put(put));
      if (inFlight.size() == 32 || i == count - 1) {
        for (int j = 0; j < inFlight.size(); j++) {
          int n = i - inFlight.size() + 1 + j;
          try {
            assertThat(inFlight.get(j).get().getVersion()).isPositive();
          } catch (java.util.concurrent.ExecutionException e) {
            // A leader change under load: write it again (same value, so a double apply is harmless).
            assertThat(put(1 + n % 2, prefix + n, "l" + n).getVersion()).isPositive();
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
        }
        inFlight.clear();
      }
    }
  }

  @Test
  void aRestartedNodeCatchesUpThroughASnapshot() {
    start(16); // compact every 16 applied entries
    for (int i = 0; i < 20; i++) {
      put(1, "early/" + i, "e" + i);
    }
    long lagging = 3;
    Map<Long, Long> appliedBefore = new HashMap<>();
    for (long s = 1; s <= SHARDS; s++) {
      appliedBefore.put(s, cluster.node(lagging).replicas().status(s).orElseThrow().getAppliedIndex());
    }
    cluster.stop(lagging);
    long t0 = System.nanoTime();
    putConcurrently("late/", 400);
    long t1 = System.nanoTime();
    // The precondition of the test: some leader's log now starts after what the stopped node has, so
    // only a snapshot can bring it up to date.
    boolean compactedPast = false;
    for (long s = 1; s <= SHARDS; s++) {
      long leader = cluster.leaderOf(s).orElseThrow();
      ShardStatus status = cluster.node(leader).replicas().status(s).orElseThrow();
      compactedPast |= status.getFirstIndex() > appliedBefore.get(s) + 1;
    }
    assertThat(compactedPast).as("a leader compacted its log past the stopped node").isTrue();

    cluster.restart(lagging);
    // Stale reads on the restarted node are served by its own replicas: they see everything once caught up.
    try {
    Await.until(
        WAIT,
        "node 3 has applied every write",
        () -> {
          for (int i = 0; i < 400; i += 7) {
            GetResponse r = get(lagging, "late/" + i, Consistency.CONSISTENCY_STALE);
            if (!r.getFound() || r.getHeader().getNodeId() != lagging) {
              return false;
            }
          }
          return get(lagging, "late/399", Consistency.CONSISTENCY_STALE).getFound();
        });
    } catch (AssertionError e) {
      StringBuilder sb = new StringBuilder(e.getMessage());
      for (long n : cluster.ids()) {
        for (long s = 1; s <= SHARDS; s++) {
          sb.append("\nnode ").append(n).append(" ").append(
              cluster.node(n).replicas().status(s).map(x -> x.toString().replace('\n', ' ')).orElse("-"));
        }
      }
      for (int i = 0; i < 400; i++) {
        GetResponse r = get(lagging, "late/" + i, Consistency.CONSISTENCY_STALE);
        if (!r.getFound()) {
          sb.append("\nmissing late/").append(i).append(" shard ").append(r.getHeader().getShardId())
              .append(" served by ").append(r.getHeader().getNodeId());
          break;
        }
      }
      throw new AssertionError(sb.toString());
    }
    long t2 = System.nanoTime();
    System.out.printf("catch-up test: 400 writes in %d ms, caught up %d ms after the restart%n",
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
    BatchGetRequest.Builder all = BatchGetRequest.newBuilder().setConsistency(Consistency.CONSISTENCY_STALE);
    for (int i = 0; i < 400; i++) {
      all.addKeys(utf8("late/" + i));
    }
    BatchGetResponse read = cluster.kv(lagging).batchGet(all.build());
    for (int i = 0; i < 400; i++) {
      assertThat(read.getResults(i).getKv().getValue().toStringUtf8()).isEqualTo("l" + i);
      assertThat(read.getResults(i).getHeader().getNodeId()).isEqualTo(lagging);
    }
    var status = cluster.cluster(lagging).getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
    assertThat(status.getShardsList()).hasSize(SHARDS);
    assertThat(status.getShardsList().stream().mapToLong(ShardStatus::getSnapshotIndex).max().orElse(0))
        .isPositive();
  }
}
