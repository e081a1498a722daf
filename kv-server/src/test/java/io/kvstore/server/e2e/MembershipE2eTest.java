package io.kvstore.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.AddMemberRequest;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.ListMembersRequest;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.RemoveMemberRequest;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.NodeRing;
import io.kvstore.ring.ReplicaPlacement;
import io.kvstore.ring.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elastic membership end to end (real nodes, Raft, RocksDB and gRPC in this JVM): a cluster grows from 3
 * to 5 nodes and shrinks back to 3 while a routing client writes steadily; no request may fail and every
 * acknowledged write must read back afterwards. Also the refusals of bad membership requests.
 */
class MembershipE2eTest {
  static final int SHARDS = 8;
  static final Duration MOVES = Duration.ofSeconds(60);

  @TempDir Path dir;
  private LocalCluster cluster;
  private int shards = SHARDS;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void growsToFiveAndShrinksToThreeUnderLoadWithoutFailuresOrLostWrites() throws Exception {
    growAndShrink(SHARDS, 1);
  }

  /** The long version: more shards, more writers. */
  @Test
  @org.junit.jupiter.api.Tag("soak")
  void growsAndShrinksWithThirtyTwoShardsAndFourWriters() throws Exception {
    growAndShrink(32, 4);
  }

  private void growAndShrink(int shards, int writerCount) throws Exception {
    this.shards = shards;
    cluster = new LocalCluster(dir, 3, shards, LocalCluster.fastOptions(200));
    cluster.awaitLeaders(Duration.ofSeconds(60));
    Map<String, String> acked = new ConcurrentHashMap<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong writes = new AtomicLong();
    List<long[]> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    try (KvClient client = KvClient.builder().seeds(cluster.address(2) + "," + cluster.address(3))
        .deadline(Duration.ofSeconds(20)).build()) {
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < writerCount; w++) {
        int writerNo = w;
        Thread writer = new Thread(() -> {
          long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
          for (int i = 0; !stop.get() && i < 200_000 && System.nanoTime() - deadline < 0; i++) {
            String key = "k" + writerNo + "-" + i;
            String value = "v" + i;
            long t0 = System.nanoTime();
            try {
              client.blocking().put(bytes(key), bytes(value));
              acked.put(key, value);
              writes.incrementAndGet();
              latencies.add(new long[] {t0, System.nanoTime() - t0});
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        }, "membership-writer-" + w);
        writer.start();
        writers.add(writer);
      }

      // The load before any move, to compare latencies with: wait for a baseline of writes, not a time.
      Await.until(Duration.ofSeconds(60), "a baseline of writes before any move", () -> writes.get() >= 100);
      ClusterMap before = map(2);
      long movesFrom = System.nanoTime();
      cluster.join(4, 1, 1);
      ClusterMap four = awaitSettled(4);
      report("3 -> 4", before, four);
      cluster.join(5, 2, 1);
      ClusterMap five = awaitSettled(5);
      report("4 -> 5", four, five);

      cluster.cluster(3).removeMember(RemoveMemberRequest.newBuilder().setClusterId(LocalCluster.CLUSTER_ID)
          .setNodeId(5).build());
      ClusterMap back4 = awaitSettled(4);
      assertThat(back4.getNodesList()).extracting(Node::getId).doesNotContain(5L);
      // Node 1 keeps the cluster map (group 0): it hands its place there to node 4, then leaves.
      cluster.cluster(5).removeMember(RemoveMemberRequest.newBuilder().setClusterId(LocalCluster.CLUSTER_ID)
          .setNodeId(1).build()); // through a node that has left: forwarded
      ClusterMap back3 = awaitSettled(3);
      assertThat(back3.getNodesList()).extracting(Node::getId).containsExactlyInAnyOrder(2L, 3L, 4L);
      assertThat(back3.getMapGroupNodesList()).containsExactlyInAnyOrder(2L, 3L, 4L);
      Await.until(MOVES, "nodes 1 and 5 deleted their replicas, node 1 its map-group one too",
          () -> cluster.node(1).replicas().localShards().isEmpty() && cluster.node(5).replicas().localShards().isEmpty()
              && cluster.node(1).replicas().status(0).isEmpty());
      assertThat(back3.getEpoch()).isGreaterThan(five.getEpoch());

      long movesTo = System.nanoTime();
      stop.set(true);
      for (Thread writer : writers) {
        writer.join(30_000);
      }
      long bytes = 0;
      for (long n = 1; n <= 5; n++) {
        bytes += snapshotBytesSent(cluster.node(n));
      }
      System.out.printf("write latency p50/p99 in the 2 s before the moves: %s; during them (3 -> 5 -> 3 nodes): %s;"
          + " snapshot bytes sent by shard leaders: %,d%n",
          percentiles(latencies, movesFrom - Duration.ofSeconds(2).toNanos(), movesFrom), // after warm-up
          percentiles(latencies, movesFrom, movesTo), bytes);
      System.out.printf("membership under load: %d writes acknowledged, %d failed%n", writes.get(), failures.size());
      assertThat(failures).as("requests failed during the moves").isEmpty();
      assertThat(acked).hasSizeGreaterThan(50);
      for (Map.Entry<String, String> e : acked.entrySet()) {
        assertThat(client.blocking().get(bytes(e.getKey()), Consistency.CONSISTENCY_LINEARIZABLE).getKv().getValue()
            .toStringUtf8()).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  @Test
  void refusesBadMembershipRequestsWithClearStatuses() {
    cluster = new LocalCluster(dir, 3, SHARDS, LocalCluster.fastOptions(200));
    String id = LocalCluster.CLUSTER_ID;
    io.kvstore.server.Node spare = cluster.bindOnly(9, id);
    try {
      // An id in use, asked while the cluster-map group may still be electing its first leader: the
      // request waits for the election and gets the real answer, not "no leader yet".
      assertRefused(() -> add(1, id, Node.newBuilder().setId(2).setAddress(spare.grpcAddress()).build()),
          Status.Code.ALREADY_EXISTS, "node id 2 is already a member");
      cluster.awaitLeaders(Duration.ofSeconds(60));
      // Another cluster's id.
      assertRefused(() -> add(1, "other", Node.newBuilder().setId(9).setAddress(spare.grpcAddress()).build()),
          Status.Code.FAILED_PRECONDITION, "belongs to cluster 'e2e', not 'other'");
      // An address nobody answers at (a port just closed).
      assertRefused(() -> add(2, id, Node.newBuilder().setId(9).setAddress(closedPort()).build()),
          Status.Code.UNAVAILABLE, "does not answer");
      // An address another member has.
      assertRefused(() -> add(3, id, Node.newBuilder().setId(9).setAddress(cluster.address(2)).build()),
          Status.Code.FAILED_PRECONDITION, "belongs to node 2");
      // Removing a node of three (shards would lose a replica and their quorum), an unknown node.
      assertRefused(() -> remove(2, 3), Status.Code.FAILED_PRECONDITION, "would leave 2 nodes up for 3 replicas");
      assertRefused(() -> remove(2, 42), Status.Code.NOT_FOUND, "not a member");
      // Nothing of that changed the map.
      assertThat(map(1).getNodesCount()).isEqualTo(3);
      // A join with a node id that a concurrent join also uses: one wins, the other is refused.
      io.kvstore.server.Node other = cluster.bindOnly(10, id);
      try {
        List<Throwable> outcomes = new CopyOnWriteArrayList<>();
        List<Thread> racers = new ArrayList<>();
        for (io.kvstore.server.Node n : List.of(spare, other)) {
          Thread t = new Thread(() -> {
            try {
              add(2, id, Node.newBuilder().setId(7).setAddress(n.grpcAddress()).build());
              outcomes.add(new RuntimeException("ok"));
            } catch (StatusRuntimeException e) {
              outcomes.add(e);
            }
          });
          t.start();
          racers.add(t);
        }
        for (Thread t : racers) {
          t.join(30_000);
        }
        assertThat(outcomes).hasSize(2);
        assertThat(outcomes.stream().filter(e -> !(e instanceof StatusRuntimeException)).count()).isEqualTo(1);
        StatusRuntimeException loser = (StatusRuntimeException) outcomes.stream()
            .filter(e -> e instanceof StatusRuntimeException).findFirst().orElseThrow();
        assertThat(loser.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
      } finally {
        other.close();
      }
      Await.until(MOVES, "every node sees node 7", () -> {
        for (long n = 1; n <= 3; n++) {
          if (map(n).getNodesList().stream().noneMatch(x -> x.getId() == 7)) {
            return false;
          }
        }
        return true;
      });
      assertThat(cluster.cluster(1).listMembers(ListMembersRequest.getDefaultInstance()).getMembersCount()).isEqualTo(4);

    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      spare.close();
    }
  }

  @Test
  void movesResumeAfterTheMapLeaderAndTheJoiningNodeStopMidway() {
    cluster = new LocalCluster(dir, 3, SHARDS, LocalCluster.fastOptions(50));
    cluster.awaitLeaders(Duration.ofSeconds(60));
    Map<String, String> written = new java.util.HashMap<>();
    for (int i = 0; i < 60; i++) {
      var put = io.kvstore.proto.v1.PutRequest.newBuilder().setKey(bytes("r" + i)).setValue(bytes("v" + i)).build();
      Await.value(Duration.ofSeconds(20), () -> cluster.kv(1 + (put.hashCode() & 1)).put(put));
      written.put("r" + i, "v" + i);
    }
    cluster.join(4, 2, 1);
    Await.until(MOVES, "a move in flight", () -> map(1).getMovesCount() > 0);
    long mapLeader = mapGroupLeader();
    cluster.stop(mapLeader);
    cluster.stop(4);
    long live = mapLeader == 1 ? 2 : 1;
    Await.until(MOVES, "another node leads the map group", () -> mapGroupLeader() != 0);
    long epoch = map(live).getEpoch();
    cluster.restart(4);
    cluster.restart(mapLeader);
    ClusterMap settled = awaitSettled(4);
    assertThat(settled.getEpoch()).isGreaterThan(epoch);
    assertThat(MembershipChangesCounts.replicasOn(settled, 4)).isGreaterThan(0);
    for (Map.Entry<String, String> e : written.entrySet()) {
      var get = io.kvstore.proto.v1.GetRequest.newBuilder().setKey(bytes(e.getKey())).build();
      for (long n = 1; n <= 4; n++) {
        long via = n;
        assertThat(Await.value(Duration.ofSeconds(20), () -> cluster.kv(via).get(get)).getKv().getValue().toStringUtf8())
            .isEqualTo(e.getValue());
      }
    }
  }

  @Test
  void aNodeSilentPastTheFailureTimeoutIsReplacedAndCleansUpWhenItComesBack() {
    Duration timeout = Duration.ofSeconds(2);
    cluster = new LocalCluster(dir, 4, SHARDS, LocalCluster.fastOptions(50),
        io.kvstore.server.membership.MembershipOptions.defaults().withFailureTimeout(timeout));
    cluster.awaitLeaders(Duration.ofSeconds(60));
    for (int i = 0; i < 50; i++) {
      var put = io.kvstore.proto.v1.PutRequest.newBuilder().setKey(bytes("f" + i)).setValue(bytes("v" + i)).build();
      Await.value(Duration.ofSeconds(20), () -> cluster.kv(1).put(put));
    }
    List<Long> hadReplicas = cluster.node(4).replicas().localShards();
    assertThat(hadReplicas).isNotEmpty();
    long killedAt = System.nanoTime();
    cluster.stop(4);
    // Full replication again without node 4: every shard three voters on nodes 1-3, node 4 DOWN.
    Await.until(MOVES, "node 4's replicas are re-created elsewhere", () -> {
      ClusterMap m = map(1);
      boolean down = m.getNodesList().stream().anyMatch(n -> n.getId() == 4
          && n.getState() == io.kvstore.proto.v1.NodeState.NODE_STATE_DOWN);
      return down && m.getMovesCount() == 0 && MembershipChangesCounts.replicasOn(m, 4) == 0
          && m.getShardsList().stream().allMatch(s -> s.getReplicasCount() == 3);
    });
    System.out.printf("failed node replaced: full replication %d ms after the stop (failure timeout %d ms)%n",
        (System.nanoTime() - killedAt) / 1_000_000, timeout.toMillis());
    // Node 4 comes back with the replicas it had: it learns they were replaced and deletes them, then
    // is UP again and gets replicas anew.
    cluster.restart(4);
    awaitSettled(4);
    for (int i = 0; i < 50; i++) {
      var get = io.kvstore.proto.v1.GetRequest.newBuilder().setKey(bytes("f" + i)).build();
      assertThat(Await.value(Duration.ofSeconds(20), () -> cluster.kv(4).get(get)).getKv().getValue().toStringUtf8())
          .isEqualTo("v" + i);
    }
  }

  private static String percentiles(List<long[]> latencies, long from, long to) {
    List<Long> in;
    synchronized (latencies) {
      in = latencies.stream().filter(l -> l[0] - from >= 0 && to - l[0] > 0).map(l -> l[1]).sorted().toList();
    }
    if (in.isEmpty()) {
      return "no writes";
    }
    return String.format("%.1f/%.1f ms over %d writes", in.get(in.size() / 2) / 1e6,
        in.get(Math.min(in.size() - 1, (int) (in.size() * 0.99))) / 1e6, in.size());
  }

  private static long snapshotBytesSent(io.kvstore.server.Node node) {
    for (var m : node.registry().scrape()) {
      if (m.getMetadata().getName().equals("kvstore_raft_snapshot_bytes_sent")
          && m instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot c) {
        return (long) c.getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
      }
    }
    return 0;
  }

  @Test
  void leadersPiledOnOneNodeSpreadAgainByWeight() {
    cluster = new LocalCluster(dir, 3, SHARDS, LocalCluster.fastOptions(200),
        io.kvstore.server.membership.MembershipOptions.defaults().withLeaderBalancePeriod(Duration.ofMillis(300)));
    cluster.awaitLeaders(Duration.ofSeconds(60));
    // Every leadership to node 1 (each shard has a replica on every node of three).
    for (long shard = 1; shard <= SHARDS; shard++) {
      long s = shard;
      Await.until(MOVES, "shard " + s + " led by node 1", () -> {
        var leader = cluster.leaderOf(s);
        if (leader.isEmpty()) {
          return false;
        }
        if (leader.get() == 1) {
          return true;
        }
        try {
          io.kvstore.server.proto.NodeInternalGrpc.newBlockingStub(cluster.channel(leader.get()))
              .withDeadlineAfter(2, java.util.concurrent.TimeUnit.SECONDS)
              .changeReplicas(io.kvstore.server.proto.ChangeReplicasRequest.newBuilder()
                  .setClusterId(LocalCluster.CLUSTER_ID).setShardId(s).setNodeId(1)
                  .setAction(io.kvstore.server.proto.ChangeReplicasRequest.Action.ACTION_TRANSFER_LEADER).build());
        } catch (StatusRuntimeException e) {
          // not the leader any more: ask again
        }
        return false;
      });
    }
    // The balancer moves them back within one of each node's share (8 shards / 3 equal nodes: 2 or 3).
    Await.until(MOVES, "leaders within one of each node's share", () -> {
      Map<Long, Integer> led = new java.util.HashMap<>();
      for (long shard = 1; shard <= SHARDS; shard++) {
        var leader = cluster.leaderOf(shard);
        if (leader.isEmpty()) {
          return false;
        }
        led.merge(leader.get(), 1, Integer::sum);
      }
      return List.of(1L, 2L, 3L).stream().allMatch(n -> {
        int c = led.getOrDefault(n, 0);
        return c >= 2 && c <= 3;
      });
    });
  }

  /** The running node whose replica of the map group leads it, or 0. */
  private long mapGroupLeader() {
    for (long id : List.of(1L, 2L, 3L)) {
      if (cluster.isRunning(id) && cluster.node(id).replicas().status(0)
          .map(s -> s.getRole() == io.kvstore.proto.v1.RaftRole.RAFT_ROLE_LEADER).orElse(false)) {
        return id;
      }
    }
    return 0;
  }

  /** Replica counts of a map. */
  static final class MembershipChangesCounts {
    static int replicasOn(ClusterMap m, long node) {
      return (int) m.getShardsList().stream()
          .filter(s -> s.getReplicasList().stream().anyMatch(r -> r.getNodeId() == node)).count();
    }
  }

  // ---------------------------------------------------------------- helpers

  private void add(long via, String clusterId, Node node) {
    cluster.cluster(via).withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
        .addMember(AddMemberRequest.newBuilder().setClusterId(clusterId).setNode(node).build());
  }

  private void remove(long via, long nodeId) {
    cluster.cluster(via).removeMember(RemoveMemberRequest.newBuilder().setClusterId(LocalCluster.CLUSTER_ID)
        .setNodeId(nodeId).build());
  }

  private static void assertRefused(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(message);
    });
  }

  private static String closedPort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return "127.0.0.1:" + s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private ClusterMap map(long node) {
    return Await.value(Duration.ofSeconds(20), () -> cluster.cluster(node).getClusterMap(GetClusterMapRequest.getDefaultInstance()));
  }

  /**
   * Waits until the map (as node 1 sees it) has {@code nodes} nodes, no move in flight, every shard
   * three voters, and the placement the ring names; returns it.
   */
  private ClusterMap awaitSettled(int nodes) {
    ClusterMap[] last = new ClusterMap[1];
    Await.until(MOVES, "the map settles on " + nodes + " nodes", () -> {
      ClusterMap m = map(2);
      last[0] = m;
      if (m.getNodesCount() != nodes || m.getMovesCount() > 0) {
        return false;
      }
      ReplicaPlacement want = NodeRing.ofNodes(m.getNodesList()).place(
          m.getShardsList().stream().map(Shard::getId).toList(), 3);
      for (Shard s : m.getShardsList()) {
        if (s.getReplicasCount() != 3 || s.getReplicasList().stream().anyMatch(r -> r.getRole() == ReplicaRole.REPLICA_ROLE_LEARNER)) {
          return false;
        }
        if (!s.getReplicasList().stream().map(Replica::getNodeId).sorted().toList()
            .equals(want.replicasOf(s.getId()).stream().sorted().toList())) {
          return false;
        }
      }
      return true;
    });
    // The Raft groups agree with the map: each shard's leader has exactly the map's replicas as voters.
    Await.until(MOVES, "every shard's Raft membership matches the map", () -> {
      for (Shard s : last[0].getShardsList()) {
        var leader = cluster.leaderOf(s.getId());
        if (leader.isEmpty()) {
          return false;
        }
        for (Replica r : s.getReplicasList()) {
          if (!cluster.isRunning(r.getNodeId()) || cluster.node(r.getNodeId()).replicas().status(s.getId()).isEmpty()) {
            return false;
          }
        }
      }
      return true;
    });
    return last[0];
  }

  private void report(String step, ClusterMap before, ClusterMap after) {
    int moved = 0;
    RoutingTable b = RoutingTable.of(before);
    for (Shard s : after.getShardsList()) {
      List<Long> was = b.shard(s.getId()).orElseThrow().getReplicasList().stream().map(Replica::getNodeId).toList();
      moved += (int) s.getReplicasList().stream().filter(r -> !was.contains(r.getNodeId())).count();
    }
    double ideal = (double) shards * 3 / after.getNodesCount();
    System.out.printf("%s: %d replicas moved, ideal %.1f (shards x replicas / nodes), ratio %.2f%n", step, moved,
        ideal, moved / ideal);
    // Loosely bounded: consistent hashing moves about the new node's share, never a reshuffle.
    assertThat(moved).isGreaterThan(0).isLessThanOrEqualTo((int) Math.ceil(ideal * 2.5));
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
