package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.client.balance.Target;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.RoutingTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The route cache: newer maps only, leader hints by term, suspect nodes avoided for a while. */
class RouteCacheTest {
  private final AtomicLong clock = new AtomicLong();
  private final RouteCache cache = new RouteCache(clock::get, Duration.ofSeconds(2));

  static ClusterMap map(long epoch) {
    List<Node> nodes = List.of(node(1), node(2), node(3), node(4));
    RoutingTable t = RoutingTable.bootstrap("c", nodes, 4, 3, Limits.getDefaultInstance());
    return t.toClusterMap().toBuilder().setEpoch(epoch).build();
  }

  static Node node(long id) {
    return Node.newBuilder().setId(id).setAddress("127.0.0.1:" + (7000 + id)).setWeight(1).build();
  }

  @Test
  void installsOnlyNewerEpochsOfTheSameCluster() {
    assertThat(cache.install(ClusterView.of(map(2)))).isTrue();
    assertThat(cache.install(ClusterView.of(map(1)))).isFalse();
    assertThat(cache.install(ClusterView.of(map(2)))).isFalse();
    assertThat(cache.install(ClusterView.of(map(5).toBuilder().setClusterId("other").build()))).isFalse();
    assertThat(cache.install(ClusterView.of(map(3)))).isTrue();
    assertThat(cache.view().epoch()).isEqualTo(3);
  }

  @Test
  void aMapWithoutShardsStillGivesTheNodes() {
    ClusterView v = ClusterView.of(map(1).toBuilder().clearShards().build());
    assertThat(v.routable()).isFalse();
    assertThat(v.invalidReason()).contains("no shards");
    cache.install(v);
    assertThat(cache.allTargets()).hasSize(4);
  }

  @Test
  void leadersFollowTerms() {
    cache.install(ClusterView.of(map(1)));
    cache.learnLeader(1, 2, 5, null);
    assertThat(cache.leader(1).nodeId()).isEqualTo(2);
    cache.learnLeader(1, 3, 4, null); // older term: ignored
    assertThat(cache.leader(1).nodeId()).isEqualTo(2);
    cache.learnLeader(1, 3, 5, null); // same term, another leader: impossible in Raft, ignored
    assertThat(cache.leader(1).nodeId()).isEqualTo(2);
    cache.learnLeader(1, 3, 6, "127.0.0.1:7003");
    assertThat(cache.leader(1)).isEqualTo(new RouteCache.Leader(3, 6, "127.0.0.1:7003"));
    cache.forgetLeader(1, 2); // not the cached one: no effect
    assertThat(cache.leader(1).nodeId()).isEqualTo(3);
    cache.forgetLeader(1, 3);
    assertThat(cache.leader(1).nodeId()).isZero();
    cache.learnLeader(1, 4, 6, null); // the unknown leader of term 6 becomes known
    assertThat(cache.leader(1).nodeId()).isEqualTo(4);
  }

  @Test
  void aNewMapKeepsLearnedLeadersUnlessItsHintsAreNewer() {
    ClusterMap m = map(1);
    Shard s = m.getShards(0).toBuilder().setLeaderNodeId(m.getShards(0).getReplicas(0).getNodeId())
        .setLeaderTerm(3).build();
    cache.install(ClusterView.of(m.toBuilder().setShards(0, s).build()));
    assertThat(cache.leader(s.getId()).nodeId()).isEqualTo(s.getLeaderNodeId());
    long other = s.getReplicas(1).getNodeId();
    cache.learnLeader(s.getId(), other, 4, null);
    ClusterMap m2 = map(2);
    cache.install(ClusterView.of(m2.toBuilder().setShards(0, m2.getShards(0).toBuilder()
        .setLeaderNodeId(s.getLeaderNodeId()).setLeaderTerm(3)).build()));
    assertThat(cache.leader(s.getId()).nodeId()).isEqualTo(other);
  }

  @Test
  void suspectNodesAreAvoidedForAWhileAndLoseTheirLeadership() {
    cache.install(ClusterView.of(map(1)));
    cache.learnLeader(1, 2, 1, null);
    cache.learnLeader(2, 2, 1, null);
    cache.markSuspect("127.0.0.1:7002", 2);
    assertThat(cache.leader(1).nodeId()).isZero();
    assertThat(cache.leader(2).nodeId()).isZero();
    assertThat(cache.allTargets()).extracting(Target::nodeId).containsExactly(1L, 3L, 4L);
    clock.addAndGet(Duration.ofSeconds(3).toNanos());
    assertThat(cache.allTargets()).extracting(Target::nodeId).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void downNodesAreLeftOutButNeverAllCandidates() {
    ClusterMap m = map(1);
    ClusterMap.Builder b = m.toBuilder();
    for (int i = 0; i < 4; i++) {
      b.setNodes(i, m.getNodes(i).toBuilder().setState(i == 0 ? NodeState.NODE_STATE_UP : NodeState.NODE_STATE_DOWN));
    }
    cache.install(ClusterView.of(b.build()));
    assertThat(cache.allTargets()).extracting(Target::nodeId).containsExactly(1L);
    cache.markSuspect("127.0.0.1:7001", 1);
    assertThat(cache.allTargets()).hasSize(4); // nothing healthy: offer everything rather than nothing
  }
}
