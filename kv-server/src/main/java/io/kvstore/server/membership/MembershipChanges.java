package io.kvstore.server.membership;

import io.grpc.Status;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Move;
import io.kvstore.proto.v1.MoveStep;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.NodeRing;
import io.kvstore.ring.ReplicaPlacement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The changes of a cluster-map record (see {@link MapRecords}), as pure functions: each takes a record
 * and returns the next one, with the epoch one higher, or the same object when nothing changes (so a
 * repeated request is harmless), or throws a {@link MembershipException} naming what to fix. The map
 * group's leader applies them one at a time and stores the result with a compare-and-swap on the record's
 * version, so concurrent requests serialize and the record never holds half a change.
 *
 * <p>Placement: a shard's replicas should be the ones {@link NodeRing} names over the nodes that are
 * {@code UP} (weighted). A shard whose replicas differ gets a {@link Move}: one new replica (added as a
 * learner, then promoted) replacing one old one (removed last), one move per shard at a time and at most
 * {@code maxMovesPerNode} moves touching any node at once.
 */
public final class MembershipChanges {
  /** Largest weight a node may have (its ring share is proportional, so this bounds the ring's size). */
  public static final int MAX_WEIGHT = 100;

  private MembershipChanges() {}

  /**
   * Adds {@code node} (state UP, no replicas yet). A node already in the map with the same id and
   * address is accepted unchanged (a retried join).
   */
  public static ClusterMap addNode(ClusterMap rec, Node node) {
    if (node.getId() < 1) {
      throw new MembershipException(Status.Code.INVALID_ARGUMENT, "node ids are 1 or more, got " + node.getId());
    }
    String address = node.getAddress();
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new MembershipException(Status.Code.INVALID_ARGUMENT,
          "node " + node.getId() + ": the address must be HOST:PORT, got '" + address + "'");
    }
    if (node.getWeight() > MAX_WEIGHT) {
      throw new MembershipException(Status.Code.INVALID_ARGUMENT,
          "node " + node.getId() + ": weight " + node.getWeight() + " is over the limit of " + MAX_WEIGHT);
    }
    for (Node n : rec.getNodesList()) {
      if (n.getId() == node.getId()) {
        if (n.getAddress().equals(address)) {
          return rec;
        }
        throw new MembershipException(Status.Code.ALREADY_EXISTS, "node id " + node.getId()
            + " is already a member of cluster '" + rec.getClusterId() + "' (at " + n.getAddress()
            + "); start the new node with an unused --node-id");
      }
      if (n.getAddress().equals(address)) {
        throw new MembershipException(Status.Code.FAILED_PRECONDITION, "address " + address
            + " belongs to node " + n.getId() + " already; give the new node its own address");
      }
    }
    Node added = node.toBuilder()
        .setWeight(node.getWeight() == 0 ? 1 : node.getWeight())
        .setState(NodeState.NODE_STATE_UP)
        .build();
    return rec.toBuilder().addNodes(added).setEpoch(rec.getEpoch() + 1).build();
  }

  /**
   * Marks a node LEAVING: placement stops naming it, its replicas move away, and {@link #removeDrained}
   * takes it out of the map once it holds none. Refused when fewer UP nodes than the replication factor
   * would remain (every shard needs that many to keep its replicas, hence its quorum). A node of the map
   * group hands its place there to another node first, like a shard replica.
   */
  public static ClusterMap markLeaving(ClusterMap rec, long nodeId) {
    Node node = node(rec, nodeId).orElseThrow(() -> new MembershipException(Status.Code.NOT_FOUND,
        "node " + nodeId + " is not a member of cluster '" + rec.getClusterId() + "'; see kvctl member list"));
    if (node.getState() == NodeState.NODE_STATE_LEAVING) {
      return rec;
    }
    long upAfter = rec.getNodesList().stream()
        .filter(n -> n.getState() == NodeState.NODE_STATE_UP && n.getId() != nodeId).count();
    int rf = replicationFactor(rec);
    if (upAfter < rf) {
      throw new MembershipException(Status.Code.FAILED_PRECONDITION, "removing node " + nodeId + " would leave "
          + upAfter + " nodes up for " + rf + " replicas per shard: shards would lose replicas and their"
          + " quorum; add a node first");
    }
    ClusterMap.Builder b = rec.toBuilder().setEpoch(rec.getEpoch() + 1);
    for (int i = 0; i < b.getNodesCount(); i++) {
      if (b.getNodes(i).getId() == nodeId) {
        b.setNodes(i, b.getNodes(i).toBuilder().setState(NodeState.NODE_STATE_LEAVING));
      }
    }
    return b.build();
  }

  /**
   * Marks the UP nodes of {@code silent} DOWN (placement then re-creates their replicas elsewhere) and
   * the DOWN nodes not in it UP again (a node back after its replicas were replaced drops them as it
   * follows the map, and placement gives it replicas again). LEAVING nodes keep their state.
   */
  public static ClusterMap withLiveness(ClusterMap rec, java.util.function.LongPredicate silent) {
    ClusterMap.Builder b = rec.toBuilder();
    boolean changed = false;
    for (int i = 0; i < b.getNodesCount(); i++) {
      Node n = b.getNodes(i);
      boolean quiet = silent.test(n.getId());
      if (n.getState() == NodeState.NODE_STATE_UP && quiet) {
        b.setNodes(i, n.toBuilder().setState(NodeState.NODE_STATE_DOWN));
        changed = true;
      } else if (n.getState() == NodeState.NODE_STATE_DOWN && !quiet) {
        b.setNodes(i, n.toBuilder().setState(NodeState.NODE_STATE_UP));
        changed = true;
      }
    }
    return changed ? b.setEpoch(rec.getEpoch() + 1).build() : rec;
  }

  /** Removes LEAVING nodes that hold no replica and take part in no move. */
  public static ClusterMap removeDrained(ClusterMap rec) {
    Map<Long, Integer> held = replicaCounts(rec);
    Set<Long> moving = new HashSet<>();
    for (Move m : rec.getMovesList()) {
      moving.add(m.getToNodeId());
      moving.add(m.getFromNodeId());
    }
    List<Node> keep = new ArrayList<>();
    for (Node n : rec.getNodesList()) {
      boolean drained = n.getState() == NodeState.NODE_STATE_LEAVING
          && held.getOrDefault(n.getId(), 0) == 0 && !moving.contains(n.getId())
          && !rec.getMapGroupNodesList().contains(n.getId());
      if (!drained) {
        keep.add(n);
      }
    }
    if (keep.size() == rec.getNodesCount()) {
      return rec;
    }
    return rec.toBuilder().clearNodes().addAllNodes(keep).setEpoch(rec.getEpoch() + 1).build();
  }

  /** The placement the ring names over the UP nodes; empty when there are fewer than the replication factor. */
  public static Optional<ReplicaPlacement> target(ClusterMap rec) {
    List<Node> up = rec.getNodesList().stream().filter(n -> n.getState() == NodeState.NODE_STATE_UP).toList();
    int rf = replicationFactor(rec);
    if (up.size() < rf) {
      return Optional.empty();
    }
    List<Long> shardIds = rec.getShardsList().stream().map(Shard::getId).toList();
    return Optional.of(NodeRing.ofNodes(up).place(shardIds, rf));
  }

  /**
   * Records new moves for shards whose replicas differ from {@link #target}, at most one per shard and
   * {@code maxMovesPerNode} per node (counting moves to and from it, those in flight included). The new
   * replica enters the shard's replicas as a LEARNER, which tells its node to create it.
   */
  public static ClusterMap plan(ClusterMap rec, int maxMovesPerNode, long nowMillis) {
    Optional<ReplicaPlacement> target = target(rec);
    if (target.isEmpty()) {
      return rec;
    }
    int rf = replicationFactor(rec);
    Map<Long, Integer> busy = new HashMap<>();
    Set<Long> moving = new HashSet<>();
    // A DOWN node sends nothing (the shard's leader elsewhere streams the new replica), so moves off it are
    // not throttled by it.
    Set<Long> down = new HashSet<>();
    rec.getNodesList().stream().filter(n -> n.getState() == NodeState.NODE_STATE_DOWN).forEach(n -> down.add(n.getId()));
    for (Move m : rec.getMovesList()) {
      moving.add(m.getShardId());
      busy.merge(m.getToNodeId(), 1, Integer::sum);
      if (m.getFromNodeId() != 0 && !down.contains(m.getFromNodeId())) {
        busy.merge(m.getFromNodeId(), 1, Integer::sum);
      }
    }
    ClusterMap.Builder b = rec.toBuilder();
    // The map group first: while one of its nodes is leaving or down, every change depends on the others.
    boolean changed = planMapGroup(rec, b, moving, busy, down, maxMovesPerNode, nowMillis);
    for (int i = 0; i < b.getShardsCount(); i++) {
      Shard s = b.getShards(i);
      if (moving.contains(s.getId())) {
        continue;
      }
      List<Long> current = s.getReplicasList().stream().map(Replica::getNodeId).toList();
      List<Long> want = target.get().replicasOf(s.getId());
      long to = want.stream().filter(n -> !current.contains(n)).findFirst().orElse(0L);
      if (to == 0) {
        continue;
      }
      long from = current.size() < rf ? 0
          : current.stream().filter(n -> !want.contains(n)).findFirst().orElse(0L);
      if (busy.getOrDefault(to, 0) >= maxMovesPerNode
          || (from != 0 && !down.contains(from) && busy.getOrDefault(from, 0) >= maxMovesPerNode)) {
        continue;
      }
      busy.merge(to, 1, Integer::sum);
      if (from != 0 && !down.contains(from)) {
        busy.merge(from, 1, Integer::sum);
      }
      b.setShards(i, s.toBuilder().addReplicas(
          Replica.newBuilder().setNodeId(to).setRole(ReplicaRole.REPLICA_ROLE_LEARNER)));
      b.addMoves(Move.newBuilder().setShardId(s.getId()).setToNodeId(to).setFromNodeId(from)
          .setStep(MoveStep.MOVE_STEP_CATCHING_UP).setStartedAtMs(nowMillis));
      changed = true;
    }
    return changed ? b.setEpoch(rec.getEpoch() + 1).build() : rec;
  }

  /**
   * The map group is placed stickily (it moves only when it must): a member that is no longer UP hands its
   * place to the UP node with the lowest id outside the group, through the same learner, promote, remove
   * steps as a shard ({@link MapRecords#MAP_GROUP} as the move's shard id). The new member joins
   * {@code map_group_nodes} when the move is recorded (which makes its node create the replica) and the
   * old one leaves it when the move ends.
   */
  private static boolean planMapGroup(ClusterMap rec, ClusterMap.Builder b, Set<Long> moving,
      Map<Long, Integer> busy, Set<Long> down, int maxMovesPerNode, long nowMillis) {
    if (moving.contains(MapRecords.MAP_GROUP) || rec.getMapGroupNodesCount() == 0) {
      return false;
    }
    Set<Long> up = new HashSet<>();
    rec.getNodesList().stream().filter(n -> n.getState() == NodeState.NODE_STATE_UP).forEach(n -> up.add(n.getId()));
    long from = rec.getMapGroupNodesList().stream().filter(n -> !up.contains(n)).findFirst().orElse(0L);
    if (from == 0) {
      return false;
    }
    long to = up.stream().filter(n -> !rec.getMapGroupNodesList().contains(n))
        .filter(n -> busy.getOrDefault(n, 0) < maxMovesPerNode).sorted().findFirst().orElse(0L);
    if (to == 0 || (!down.contains(from) && busy.getOrDefault(from, 0) >= maxMovesPerNode)) {
      return false;
    }
    busy.merge(to, 1, Integer::sum);
    if (!down.contains(from)) {
      busy.merge(from, 1, Integer::sum);
    }
    b.addMapGroupNodes(to);
    b.addMoves(Move.newBuilder().setShardId(MapRecords.MAP_GROUP).setToNodeId(to).setFromNodeId(from)
        .setStep(MoveStep.MOVE_STEP_CATCHING_UP).setStartedAtMs(nowMillis));
    return true;
  }

  /** The move of {@code shardId} reached PROMOTED: its new replica votes. */
  public static ClusterMap promoted(ClusterMap rec, long shardId) {
    ClusterMap.Builder b = rec.toBuilder().setEpoch(rec.getEpoch() + 1);
    Move move = move(rec, shardId);
    for (int i = 0; i < b.getMovesCount(); i++) {
      if (b.getMoves(i).getShardId() == shardId) {
        b.setMoves(i, b.getMoves(i).toBuilder().setStep(MoveStep.MOVE_STEP_PROMOTED));
      }
    }
    for (int i = 0; i < b.getShardsCount(); i++) {
      Shard.Builder s = b.getShards(i).toBuilder();
      if (s.getId() != shardId) {
        continue;
      }
      for (int r = 0; r < s.getReplicasCount(); r++) {
        if (s.getReplicas(r).getNodeId() == move.getToNodeId()) {
          s.setReplicas(r, s.getReplicas(r).toBuilder().setRole(ReplicaRole.REPLICA_ROLE_VOTER));
        }
      }
      b.setShards(i, s);
    }
    return b.build();
  }

  /** The move of {@code shardId} is done: its old replica leaves the shard's replicas, the move the map. */
  public static ClusterMap finished(ClusterMap rec, long shardId) {
    Move move = move(rec, shardId);
    ClusterMap.Builder b = rec.toBuilder().setEpoch(rec.getEpoch() + 1).clearMoves();
    for (Move m : rec.getMovesList()) {
      if (m.getShardId() != shardId) {
        b.addMoves(m);
      }
    }
    if (shardId == MapRecords.MAP_GROUP) {
      b.clearMapGroupNodes().addAllMapGroupNodes(
          rec.getMapGroupNodesList().stream().filter(n -> n != move.getFromNodeId()).toList());
    }
    for (int i = 0; i < b.getShardsCount(); i++) {
      Shard s = b.getShards(i);
      if (s.getId() != shardId || move.getFromNodeId() == 0) {
        continue;
      }
      Shard.Builder sb = s.toBuilder().clearReplicas();
      for (Replica r : s.getReplicasList()) {
        if (r.getNodeId() != move.getFromNodeId()) {
          sb.addReplicas(r);
        }
      }
      b.setShards(i, sb);
    }
    return b.build();
  }

  static Move move(ClusterMap rec, long shardId) {
    return rec.getMovesList().stream().filter(m -> m.getShardId() == shardId).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no move of shard " + shardId + " in flight"));
  }

  static Optional<Node> node(ClusterMap rec, long nodeId) {
    return rec.getNodesList().stream().filter(n -> n.getId() == nodeId).findFirst();
  }

  /** Node id → replicas (voters and learners) the record places on it. */
  public static Map<Long, Integer> replicaCounts(ClusterMap rec) {
    Map<Long, Integer> counts = new HashMap<>();
    for (Shard s : rec.getShardsList()) {
      for (Replica r : s.getReplicasList()) {
        counts.merge(r.getNodeId(), 1, Integer::sum);
      }
    }
    return counts;
  }

  static int replicationFactor(ClusterMap rec) {
    return rec.getReplicationFactor() == 0 ? NodeRing.DEFAULT_REPLICATION_FACTOR : rec.getReplicationFactor();
  }
}
