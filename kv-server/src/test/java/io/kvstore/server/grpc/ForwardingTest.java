package io.kvstore.server.grpc;

import static io.kvstore.server.grpc.Statuses.code;
import static io.kvstore.server.grpc.Statuses.detail;
import static io.kvstore.server.grpc.Statuses.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import io.kvstore.server.replica.CommandResult;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forwarding between nodes over real gRPC, with in-memory replicas that say who leads: one hop to the
 * leader, never a second hop from the node that received a forwarded request, the deadline carried along,
 * and UNAVAILABLE with a NotLeader detail when the hop cannot be made.
 */
class ForwardingTest {
  @TempDir Path dir;
  private FakeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void aWriteThroughAFollowerIsServedByTheLeader() {
    cluster = new FakeCluster(dir, 3, id -> FakeCluster.allShards(), shard -> 2L);
    PutResponse put = cluster.kv(1).put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build());
    assertThat(put.getHeader().getNodeId()).isEqualTo(2);
    assertThat(cluster.replicas(2).size()).isEqualTo(1);
    assertThat(cluster.replicas(1).size()).isZero();

    GetResponse got = cluster.kv(3).get(GetRequest.newBuilder().setKey(utf8("k")).build());
    assertThat(got.getFound()).isTrue();
    assertThat(got.getKv().getVersion()).isEqualTo(put.getVersion());
    assertThat(got.getHeader().getNodeId()).isEqualTo(2);

    assertThat(forwarded(1, "Put", "ok")).isEqualTo(1);
    assertThat(forwarded(3, "Get", "ok")).isEqualTo(1);
    assertThat(forwarded(2, "Put", "ok")).isZero();
  }

  /** The node's kvstore_kv_forwarded_total{method, outcome}. */
  private double forwarded(int node, String method, String outcome) {
    for (MetricSnapshot m : cluster.node(node).registry().scrape()) {
      if (m.getMetadata().getName().equals("kvstore_kv_forwarded")) {
        for (DataPointSnapshot p : m.getDataPoints()) {
          if (method.equals(p.getLabels().get("method")) && outcome.equals(p.getLabels().get("outcome"))) {
            return ((CounterSnapshot.CounterDataPointSnapshot) p).getValue();
          }
        }
      }
    }
    return 0;
  }

  @Test
  void aNodeWithoutTheShardAsksAReplicaAndFollowsItsLeaderHint() {
    // Node 1 hosts nothing and knows no leader; nodes 2 and 3 host every shard and agree node 3 leads.
    cluster =
        new FakeCluster(
            dir, 3, id -> id == 1 ? List.of() : FakeCluster.allShards(), shard -> 3L);
    cluster.replicas(1).leaderOf = shard -> 0L;
    PutResponse put = cluster.kv(1).put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build());
    assertThat(put.getHeader().getNodeId()).isEqualTo(3);
    assertThat(cluster.replicas(3).size()).isEqualTo(1);

    // Batches split per shard, each part forwarded, versions back in request order.
    BatchPutRequest.Builder batch = BatchPutRequest.newBuilder();
    for (int i = 0; i < 20; i++) {
      batch.addKvs(KeyValue.newBuilder().setKey(utf8("b" + i)).setValue(utf8("x")));
    }
    BatchPutResponse written = cluster.kv(1).batchPut(batch.build());
    assertThat(written.getVersionsList()).hasSize(20).allMatch(v -> v > 0);
    assertThat(cluster.replicas(3).size()).isEqualTo(21);

    // A Scan through the node with no replicas asks the others for each shard's part.
    ScanResponse scan = cluster.kv(1).scan(ScanRequest.newBuilder().setPrefix(utf8("b")).setLimit(7).build());
    assertThat(scan.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList())
        .containsExactly("b0", "b1", "b10", "b11", "b12", "b13", "b14");
    assertThat(scan.getContinuationToken()).isNotEmpty();
  }

  @Test
  void aForwardedRequestIsNeverForwardedAgain() {
    // Stale hints that point at each other: 1 thinks 2 leads, 2 thinks 1 leads.
    cluster = new FakeCluster(dir, 2, id -> FakeCluster.allShards(), shard -> 2L);
    cluster.replicas(2).leaderOf = shard -> 1L;
    StatusRuntimeException e =
        failure(() -> cluster.kv(1).put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build()));
    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    NotLeader notLeader = detail(e, NotLeader.class);
    assertThat(notLeader.getShardId()).isBetween(1L, (long) FakeCluster.SHARDS);
    assertThat(notLeader.getLeaderNodeId()).isEqualTo(1);
    assertThat(notLeader.getLeaderAddress()).isEqualTo(cluster.node(1).grpcAddress());
    // One proposal on each node: no ping-pong.
    assertThat(cluster.replicas(1).proposals.get()).isEqualTo(1);
    assertThat(cluster.replicas(2).proposals.get()).isEqualTo(1);
    assertThat(cluster.replicas(1).size() + cluster.replicas(2).size()).isZero();
  }

  @Test
  void noKnownLeaderMeansUnavailableWithANotLeaderDetail() {
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 0L);
    StatusRuntimeException e =
        failure(() -> cluster.kv(1).put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build()));
    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("no leader is known").contains("retry");
    NotLeader detail = detail(e, NotLeader.class);
    assertThat(detail.getLeaderNodeId()).isZero();
    assertThat(detail.getEpoch()).isEqualTo(1);
  }

  @Test
  void anUnreachableLeaderMeansUnavailableWithANotLeaderDetail() {
    cluster = new FakeCluster(dir, 2, id -> FakeCluster.allShards(), shard -> 2L);
    cluster.node(2).close();
    StatusRuntimeException e =
        failure(() -> cluster.kv(1).put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build()));
    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("forwarding to node 2 failed");
    assertThat(detail(e, NotLeader.class).getShardId()).isPositive();
  }

  @Test
  void theDeadlineRidesAlongOnTheForward() {
    cluster = new FakeCluster(dir, 2, id -> FakeCluster.allShards(), shard -> 2L);
    AtomicReference<Deadline> seenByLeader = new AtomicReference<>();
    List<CompletableFuture<CommandResult>> hanging = new ArrayList<>();
    cluster.replicas(2).proposeOverride =
        () -> {
          seenByLeader.set(Context.current().getDeadline());
          CompletableFuture<CommandResult> never = new CompletableFuture<>();
          hanging.add(never);
          return never; // a write that never commits
        };
    long start = System.nanoTime();
    StatusRuntimeException e =
        failure(
            () ->
                KVGrpc.newBlockingStub(cluster.channel(1))
                    .withDeadlineAfter(800, TimeUnit.MILLISECONDS)
                    .put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build()));
    assertThat(code(e)).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(seenByLeader.get()).as("the leader saw a deadline").isNotNull();
    assertThat(seenByLeader.get().timeRemaining(TimeUnit.MILLISECONDS)).isLessThanOrEqualTo(800);
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
  }
}
