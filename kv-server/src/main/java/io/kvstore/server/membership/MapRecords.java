package io.kvstore.server.membership;

import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.RoutingTable;
import java.util.List;

/**
 * The cluster map as the map group (Raft group 0) keeps it, the <em>record</em>: the {@link ClusterMap}
 * without hash ranges and leader hints. Ranges never change with membership (shards keep their arcs;
 * only replicas move), so the record stays small (about 25 bytes a shard instead of 8 KiB), every node
 * keeps the ranges from its bootstrap or join, and {@link #merge} puts them back.
 */
public final class MapRecords {
  /** The Raft group that keeps the cluster map. Shards are 1 or more, so it never collides with one. */
  public static final long MAP_GROUP = 0;

  /** How many nodes hold the map group: the first ones of the bootstrap list. */
  public static final int MAP_GROUP_SIZE = 3;

  private MapRecords() {}

  /** The record of a full map: no ranges, no leader hints, no {@code unchanged} flag. */
  public static ClusterMap strip(ClusterMap full) {
    ClusterMap.Builder b = full.toBuilder().clearUnchanged();
    for (int i = 0; i < b.getShardsCount(); i++) {
      b.setShards(i, b.getShards(i).toBuilder().clearRanges().clearLeaderNodeId().clearLeaderTerm());
    }
    return b.build();
  }

  /**
   * The full map of {@code record}: its nodes, replicas, moves and epoch with the ranges of {@code local}
   * (the map this node has; same cluster, same shards).
   *
   * @throws IllegalArgumentException when the record names a shard {@code local} does not have
   */
  public static ClusterMap merge(ClusterMap record, RoutingTable local) {
    ClusterMap.Builder b = record.toBuilder().clearUnchanged();
    for (int i = 0; i < b.getShardsCount(); i++) {
      Shard s = b.getShards(i);
      Shard known = local.shard(s.getId()).orElseThrow(() -> new IllegalArgumentException(
          "the cluster map names shard " + s.getId() + ", which this node's map does not have"));
      b.setShards(i, s.toBuilder().clearRanges().addAllRanges(known.getRangesList()));
    }
    return b.build();
  }

  /** The map group as a shard of no range: its voters are the map's {@code map_group_nodes}. */
  public static Shard mapGroup(ClusterMap map) {
    Shard.Builder s = Shard.newBuilder().setId(MAP_GROUP);
    for (long node : map.getMapGroupNodesList()) {
      s.addReplicas(Replica.newBuilder().setNodeId(node).setRole(ReplicaRole.REPLICA_ROLE_VOTER));
    }
    return s.build();
  }

  /** The bootstrap map with its map group: the first {@link #MAP_GROUP_SIZE} nodes of the list. */
  public static ClusterMap withMapGroup(ClusterMap bootstrap) {
    List<Long> first = bootstrap.getNodesList().stream().limit(MAP_GROUP_SIZE).map(n -> n.getId()).toList();
    return bootstrap.toBuilder().clearMapGroupNodes().addAllMapGroupNodes(first).build();
  }
}
