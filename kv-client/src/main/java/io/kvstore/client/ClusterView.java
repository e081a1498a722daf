package io.kvstore.client;

import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Node;
import io.kvstore.ring.InvalidClusterMapException;
import io.kvstore.ring.RoutingTable;
import java.util.List;
import java.util.Optional;

/**
 * The cluster map as the client routes with it: the nodes, the epoch, and the routing table when the map
 * has valid shards. A map without usable shards (a node still bootstrapping, or one that does not publish
 * shards) still gives the nodes: the client then sends every request to any node, which forwards it.
 * Immutable.
 *
 * @param table the key → shard routing table, or null when the map has no valid shards
 * @param invalidReason why {@code table} is null, or null
 */
public record ClusterView(String clusterId, long epoch, List<Node> nodes, RoutingTable table,
    String invalidReason, ClusterMap map) {

  /** The view of a map fetched from a node (never an {@code unchanged} answer). */
  public static ClusterView of(ClusterMap map) {
    RoutingTable table = null;
    String reason = null;
    try {
      table = RoutingTable.of(map);
    } catch (InvalidClusterMapException e) {
      reason = e.getMessage();
    }
    return new ClusterView(map.getClusterId(), map.getEpoch(), List.copyOf(map.getNodesList()), table, reason,
        map);
  }

  /** Whether keys can be routed to shards with this view. */
  public boolean routable() {
    return table != null;
  }

  public Optional<Node> node(long nodeId) {
    for (Node n : nodes) {
      if (n.getId() == nodeId) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  /** Whether this view should replace {@code current}: a first view, or a newer epoch of the same cluster. */
  public boolean supersedes(ClusterView current) {
    return current == null || (clusterId.equals(current.clusterId) && epoch > current.epoch);
  }
}
