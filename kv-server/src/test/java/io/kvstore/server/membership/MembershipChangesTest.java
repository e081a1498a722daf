package io.kvstore.server.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Move;
import io.kvstore.proto.v1.MoveStep;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.NodeRing;
import io.kvstore.ring.RoutingTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cluster-map record's changes: validation, throttled planning, and that moves converge on the ring. */
class MembershipChangesTest {
  static final int SHARDS = 64;

  static ClusterMap record(int nodes) {
    List<Node> list = new ArrayList<>();
    for (long id = 1; id <= nodes; id++) {
      list.add(node(id));
    }
    ClusterMap full = RoutingTable.bootstrap("t", list, SHARDS, 3, Limits.getDefaultInstance()).toClusterMap()
        .toBuilder().addAllMapGroupNodes(List.of(1L, 2L, 3L)).build();
    return MapRecords.strip(full);
  }

  static Node node(long id) {
    return Node.newBuilder().setId(id).setAddress("127.0.0.1:" + (7000 + id)).setWeight(1).build();
  }

  @Test
  void addNodeBumpsTheEpochAndIsIdempotentForTheSameIdAndAddress() {
    ClusterMap rec = record(3);
    ClusterMap added = MembershipChanges.addNode(rec, node(4));
    assertThat(added.getEpoch()).isEqualTo(rec.getEpoch() + 1);
    assertThat(added.getNodesList()).extracting(Node::getId).containsExactly(1L, 2L, 3L, 4L);
    assertThat(added.getNodes(3).getState()).isEqualTo(NodeState.NODE_STATE_UP);
    assertThat(MembershipChanges.addNode(added, node(4))).isSameAs(added);
  }

  @Test
  void addNodeRefusesAnIdInUseAnAddressInUseAndBadInput() {
    ClusterMap rec = record(3);
    assertRefused(() -> MembershipChanges.addNode(rec, node(2).toBuilder().setAddress("10.0.0.9:1").build()),
        Status.Code.ALREADY_EXISTS, "node id 2 is already a member");
    assertRefused(() -> MembershipChanges.addNode(rec, node(9).toBuilder().setAddress(node(1).getAddress()).build()),
        Status.Code.FAILED_PRECONDITION, "belongs to node 1");
    assertRefused(() -> MembershipChanges.addNode(rec, node(9).toBuilder().setAddress("nohost").build()),
        Status.Code.INVALID_ARGUMENT, "HOST:PORT");
    assertRefused(() -> MembershipChanges.addNode(rec, node(0)), Status.Code.INVALID_ARGUMENT, "1 or more");
    assertRefused(() -> MembershipChanges.addNode(rec, node(9).toBuilder().setWeight(1000).build()),
        Status.Code.INVALID_ARGUMENT, "weight");
  }

  @Test
  void markLeavingRefusesWhatWouldLeaveShardsWithoutTheirReplicas() {
    ClusterMap four = MembershipChanges.addNode(record(3), node(4));
    ClusterMap leaving = MembershipChanges.markLeaving(four, 4);
    assertThat(leaving.getNodes(3).getState()).isEqualTo(NodeState.NODE_STATE_LEAVING);
    assertThat(MembershipChanges.markLeaving(leaving, 4)).isSameAs(leaving);
    ClusterMap five = MembershipChanges.addNode(leaving, node(5));
    // 4 is leaving already: removing 5 too would leave 3 UP nodes, which is enough...
    ClusterMap both = MembershipChanges.markLeaving(five, 5);
    // ...but a third removal would leave 2 for 3 replicas per shard.
    ClusterMap six = MembershipChanges.addNode(both, node(6));
    assertRefused(() -> MembershipChanges.markLeaving(MembershipChanges.markLeaving(six, 6), 1),
        Status.Code.FAILED_PRECONDITION, "would leave 2 nodes up for 3 replicas");
    assertRefused(() -> MembershipChanges.markLeaving(record(3), 3), Status.Code.FAILED_PRECONDITION,
        "would leave 2 nodes up");
    assertRefused(() -> MembershipChanges.markLeaving(four, 42), Status.Code.NOT_FOUND, "not a member");
  }

  @Test
  void planIsThrottledPerNodeAndOneMovePerShard() {
    ClusterMap rec = MembershipChanges.addNode(record(3), node(4));
    ClusterMap planned = MembershipChanges.plan(rec, 2, 1000);
    assertThat(planned.getMovesList()).hasSize(2);
    for (Move m : planned.getMovesList()) {
      assertThat(m.getToNodeId()).isEqualTo(4);
      assertThat(m.getStep()).isEqualTo(MoveStep.MOVE_STEP_CATCHING_UP);
      Shard s = shard(planned, m.getShardId());
      assertThat(s.getReplicasList()).contains(
          Replica.newBuilder().setNodeId(4).setRole(ReplicaRole.REPLICA_ROLE_LEARNER).build());
    }
    // Nothing more while node 4 has its two moves.
    assertThat(MembershipChanges.plan(planned, 2, 1000)).isSameAs(planned);
    assertThat(planned.getEpoch()).isEqualTo(rec.getEpoch() + 1);
  }

  @Test
  void movesConvergeOnTheRingPlacementAndMoveAboutTheNewNodesShare() {
    ClusterMap rec = MembershipChanges.addNode(record(3), node(4));
    ClusterMap before = rec;
    rec = settle(rec);
    int moved = movedReplicas(before, rec);
    double ideal = SHARDS * 3.0 / 4;
    System.out.printf("3 -> 4 nodes, %d shards: %d replicas moved, ideal %.1f, ratio %.2f%n", SHARDS, moved, ideal,
        moved / ideal);
    assertThat(moved).isBetween((int) (ideal * 0.7), (int) (ideal * 1.4));
    assertThat(MembershipChanges.replicaCounts(rec)).containsOnlyKeys(1L, 2L, 3L, 4L);
    // Drain node 4 again: every replica leaves it and the node leaves the map.
    rec = settle(MembershipChanges.markLeaving(rec, 4));
    assertThat(rec.getNodesList()).extracting(Node::getId).containsExactly(1L, 2L, 3L);
    assertThat(MembershipChanges.replicaCounts(rec)).containsOnlyKeys(1L, 2L, 3L);
  }

  @Test
  void aLeavingNodeOfTheMapGroupHandsItsPlaceToAnotherNode() {
    ClusterMap rec = settle(MembershipChanges.addNode(record(3), node(4)));
    ClusterMap leaving = MembershipChanges.markLeaving(rec, 2);
    ClusterMap planned = MembershipChanges.plan(leaving, 2, 0);
    Move groupMove = MembershipChanges.move(planned, MapRecords.MAP_GROUP);
    assertThat(groupMove.getFromNodeId()).isEqualTo(2);
    assertThat(groupMove.getToNodeId()).isEqualTo(4);
    assertThat(planned.getMapGroupNodesList()).containsExactly(1L, 2L, 3L, 4L);
    // Node 2 stays in the map while it still keeps the map group.
    assertThat(MembershipChanges.removeDrained(planned).getNodesList()).extracting(Node::getId).contains(2L);
    ClusterMap done = settle(leaving);
    assertThat(done.getMapGroupNodesList()).containsExactly(1L, 3L, 4L);
    assertThat(done.getNodesList()).extracting(Node::getId).containsExactly(1L, 3L, 4L);
  }

  @Test
  void aSilentNodeGoesDownItsReplicasAreReplacedAndItComesBackUp() {
    ClusterMap rec = settle(MembershipChanges.addNode(record(3), node(4)));
    ClusterMap down = MembershipChanges.withLiveness(rec, n -> n == 4);
    assertThat(down.getNodes(3).getState()).isEqualTo(NodeState.NODE_STATE_DOWN);
    assertThat(MembershipChanges.withLiveness(down, n -> n == 4)).isSameAs(down);
    // Moves off a DOWN node are throttled by their targets only (it sends nothing).
    ClusterMap planned = MembershipChanges.plan(down, 2, 0);
    assertThat(planned.getMovesList()).allMatch(m -> m.getFromNodeId() == 4).hasSizeGreaterThan(2);
    ClusterMap replaced = settle(down);
    assertThat(MembershipChanges.replicaCounts(replaced)).containsOnlyKeys(1L, 2L, 3L);
    ClusterMap back = MembershipChanges.withLiveness(replaced, n -> false);
    assertThat(back.getNodes(3).getState()).isEqualTo(NodeState.NODE_STATE_UP);
    assertThat(MembershipChanges.replicaCounts(settle(back))).containsKey(4L);
  }

  /** Drives every planned move to its end, as the driver would when every step succeeds. */
  private static ClusterMap settle(ClusterMap rec) {
    for (int round = 0; round < 1000; round++) {
      ClusterMap next = MembershipChanges.plan(MembershipChanges.removeDrained(rec), 2, 0);
      for (Move m : next.getMovesList()) {
        next = MembershipChanges.finished(MembershipChanges.promoted(next, m.getShardId()), m.getShardId());
      }
      next = MembershipChanges.removeDrained(next);
      if (next == rec || next.equals(rec)) {
        // Settled: every shard has the ring's replicas, all voters.
        var want = MembershipChanges.target(rec).orElseThrow();
        for (Shard s : rec.getShardsList()) {
          assertThat(s.getReplicasList().stream().map(Replica::getNodeId).sorted().toList())
              .isEqualTo(want.replicasOf(s.getId()).stream().sorted().toList());
          assertThat(s.getReplicasList()).allMatch(r -> r.getRole() == ReplicaRole.REPLICA_ROLE_VOTER);
        }
        return rec;
      }
      assertThat(next.getEpoch()).isGreaterThan(rec.getEpoch());
      rec = next;
    }
    throw new AssertionError("moves did not converge");
  }

  private static int movedReplicas(ClusterMap before, ClusterMap after) {
    Map<Long, List<Long>> was = new HashMap<>();
    before.getShardsList().forEach(s -> was.put(s.getId(), s.getReplicasList().stream().map(Replica::getNodeId).toList()));
    int moved = 0;
    for (Shard s : after.getShardsList()) {
      moved += (int) s.getReplicasList().stream().filter(r -> !was.get(s.getId()).contains(r.getNodeId())).count();
    }
    return moved;
  }

  @Test
  void aRecordMergesBackIntoTheFullMapWithItsRanges() {
    List<Node> nodes = List.of(node(1), node(2), node(3));
    RoutingTable local = RoutingTable.bootstrap("t", nodes, SHARDS, 3, Limits.getDefaultInstance());
    ClusterMap rec = MembershipChanges.addNode(MapRecords.strip(local.toClusterMap()), node(4));
    ClusterMap full = MapRecords.merge(rec, local);
    RoutingTable merged = RoutingTable.of(full);
    assertThat(merged.epoch()).isEqualTo(rec.getEpoch());
    assertThat(merged.node(4)).isPresent();
    assertThat(merged.lookup().rangeCount()).isEqualTo(local.lookup().rangeCount());
    assertThat(rec.getSerializedSize()).isLessThan(local.toClusterMap().getSerializedSize() / 50);
    assertThat(NodeRing.DEFAULT_REPLICATION_FACTOR).isEqualTo(3);
  }

  private static Shard shard(ClusterMap rec, long id) {
    return rec.getShardsList().stream().filter(s -> s.getId() == id).findFirst().orElseThrow();
  }

  private static void assertRefused(Runnable r, Status.Code code, String message) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(MembershipException.class, e -> {
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.getMessage()).contains(message);
    });
  }
}
