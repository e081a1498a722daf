package io.kvstore.server.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.RoutingTable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leader balancing by weight: transfers converge to every node within one of its weighted share. */
class LeaderBalanceTest {

  static ClusterMap map(int... weights) {
    List<Node> nodes = new java.util.ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      nodes.add(Node.newBuilder().setId(i + 1).setAddress("h:" + (i + 1)).setWeight(weights[i]).build());
    }
    return RoutingTable.bootstrap("t", nodes, 48, 3, Limits.getDefaultInstance()).toClusterMap();
  }

  @Test
  void allLeadersOnOneNodeSpreadByWeightWithinOne() {
    ClusterMap map = map(1, 1, 2, 1);
    Map<Long, Long> leaders = new HashMap<>();
    for (Shard s : map.getShardsList()) {
      leaders.put(s.getId(), s.getReplicas(0).getNodeId());
    }
    // Pile every leadership a node can take onto node 1 first.
    for (Shard s : map.getShardsList()) {
      if (s.getReplicasList().stream().anyMatch(r -> r.getNodeId() == 1)) {
        leaders.put(s.getId(), 1L);
      }
    }
    int transfers = 0;
    for (LeaderBalance.Transfer next; (next = LeaderBalance.next(map, leaders)) != null; transfers++) {
      LeaderBalance.Transfer t = next;
      assertThat(leaders.get(t.shardId())).isEqualTo(t.from());
      Shard s = map.getShardsList().stream().filter(x -> x.getId() == t.shardId()).findFirst().orElseThrow();
      assertThat(s.getReplicasList()).extracting(Replica::getNodeId).contains(t.to());
      leaders.put(t.shardId(), t.to());
      assertThat(transfers).isLessThan(200);
    }
    Map<Long, Integer> led = new HashMap<>();
    leaders.values().forEach(n -> led.merge(n, 1, Integer::sum));
    System.out.printf("leaders by node after %d transfers (weights 1,1,2,1; 48 shards): %s%n", transfers, led);
    int[] weights = {1, 1, 2, 1};
    for (int i = 0; i < weights.length; i++) {
      double share = 48.0 * weights[i] / 5;
      assertThat(led.getOrDefault((long) i + 1, 0).doubleValue()).as("node " + (i + 1))
          .isBetween(share - 1.0001, share + 1.0001);
    }
  }

  @Test
  void aLeavingNodeHandsEveryLeadershipAway() {
    ClusterMap map = map(1, 1, 1, 1);
    map = map.toBuilder().setNodes(3, map.getNodes(3).toBuilder().setState(NodeState.NODE_STATE_LEAVING)).build();
    Map<Long, Long> leaders = new HashMap<>();
    for (Shard s : map.getShardsList()) {
      leaders.put(s.getId(), s.getReplicas(0).getNodeId());
    }
    for (LeaderBalance.Transfer t; (t = LeaderBalance.next(map, leaders)) != null; ) {
      leaders.put(t.shardId(), t.to());
    }
    assertThat(leaders.values()).doesNotContain(4L);
  }

  @Test
  void balancedLeadersNeedNoTransfer() {
    ClusterMap map = map(1, 1, 1);
    Map<Long, Long> leaders = new HashMap<>();
    long next = 1;
    for (Shard s : map.getShardsList()) {
      leaders.put(s.getId(), next);
      next = next % 3 + 1;
    }
    assertThat(LeaderBalance.next(map, leaders)).isNull();
  }

  @Test
  void aPassPlansSeveralTransfersOnDistinctShardsAsIfEachHadTakenEffect() {
    ClusterMap map = RoutingTable.bootstrap("t", List.of(node(1), node(2), node(3)), 1000, 3,
        Limits.getDefaultInstance()).toClusterMap();
    Map<Long, Long> leaders = new HashMap<>();
    for (Shard s : map.getShardsList()) {
      leaders.put(s.getId(), 1L); // every first election went node 1's way
    }
    int perPass = LeaderBalance.transfersPerPass(map);
    assertThat(perPass).isEqualTo(10);
    int passes = 0;
    for (List<LeaderBalance.Transfer> pass; !(pass = LeaderBalance.plan(map, leaders, perPass)).isEmpty(); passes++) {
      assertThat(pass).hasSizeLessThanOrEqualTo(perPass);
      assertThat(pass.stream().map(LeaderBalance.Transfer::shardId).distinct().count()).isEqualTo(pass.size());
      for (LeaderBalance.Transfer t : pass) {
        assertThat(leaders.get(t.shardId())).isEqualTo(t.from());
        leaders.put(t.shardId(), t.to());
      }
      assertThat(passes).isLessThan(100);
    }
    Map<Long, Integer> led = new HashMap<>();
    leaders.values().forEach(n -> led.merge(n, 1, Integer::sum));
    System.out.printf("1,000 shards led by node 1 balanced in %d passes of %d transfers: %s%n", passes, perPass, led);
    assertThat(led.values()).allSatisfy(n -> assertThat(n).isBetween(332, 335));
    assertThat(LeaderBalance.transfersPerPass(map(1, 1, 1))).as("48 shards: one at a time").isEqualTo(1);
  }

  private static Node node(long id) {
    return Node.newBuilder().setId(id).setAddress("h:" + id).setWeight(1).build();
  }
}
