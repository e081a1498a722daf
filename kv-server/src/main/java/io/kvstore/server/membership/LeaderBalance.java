package io.kvstore.server.membership;

import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Leader balancing by weight: each UP node should lead about {@code shards × weight / total weight}
 * shards. {@link #next} names one leadership transfer that brings the most overloaded node closer to its
 * share, towards a voter on the most underloaded node, or none once every node is within one of its
 * share. {@link #plan} names a few at once, as many as {@link #transfersPerPass} allows for the cluster's
 * size: gentle (one in a hundred shards per pass), yet a cluster of 1,000 shards whose first elections
 * all went one node's way is balanced within minutes, not the best part of an hour. Pure.
 */
final class LeaderBalance {
  /** A leadership transfer of {@code shardId} from node {@code from} (its leader now) to {@code to}. */
  record Transfer(long shardId, long from, long to) {}

  private LeaderBalance() {}

  /** Transfers per balancing pass: one per hundred shards, at least one, at most 32. */
  static int transfersPerPass(ClusterMap map) {
    return Math.max(1, Math.min(32, map.getShardsCount() / 100));
  }

  /**
   * Up to {@code max} transfers, each as {@link #next} names it after the ones before it took effect, on
   * distinct shards.
   */
  static List<Transfer> plan(ClusterMap map, Map<Long, Long> leaders, int max) {
    Map<Long, Long> after = new HashMap<>(leaders);
    List<Transfer> out = new java.util.ArrayList<>();
    while (out.size() < max) {
      Transfer t = next(map, after);
      if (t == null) {
        break;
      }
      out.add(t);
      after.put(t.shardId(), t.to());
    }
    return out;
  }

  /**
   * @param leaders shard id → the node that leads it now (shards with no known leader absent)
   * @return the transfer to make, or null when balanced (within ±1 of each share) or nothing helps
   */
  static Transfer next(ClusterMap map, Map<Long, Long> leaders) {
    Map<Long, Integer> weights = new HashMap<>();
    long totalWeight = 0;
    for (Node n : map.getNodesList()) {
      if (n.getState() == NodeState.NODE_STATE_UP) {
        int w = Math.max(1, n.getWeight());
        weights.put(n.getId(), w);
        totalWeight += w;
      }
    }
    if (weights.size() < 2 || leaders.isEmpty()) {
      return null;
    }
    Map<Long, Integer> led = new HashMap<>();
    weights.keySet().forEach(id -> led.put(id, 0));
    leaders.values().forEach(id -> led.merge(id, 1, Integer::sum));
    int shards = map.getShardsCount();
    Map<Long, Double> excess = new HashMap<>();
    for (Map.Entry<Long, Integer> e : weights.entrySet()) {
      double share = (double) shards * e.getValue() / totalWeight;
      excess.put(e.getKey(), led.get(e.getKey()) - share);
    }
    // Nodes not UP (LEAVING, DOWN) should lead nothing: their excess is everything they lead.
    for (Map.Entry<Long, Integer> e : led.entrySet()) {
      excess.putIfAbsent(e.getKey(), (double) e.getValue());
    }
    List<Long> byExcess = excess.entrySet().stream()
        .sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).map(Map.Entry::getKey).toList();
    for (long from : byExcess) {
      boolean over = weights.containsKey(from) ? excess.get(from) > 1.0 + 1e-9 : excess.get(from) > 0;
      if (!over) {
        continue; // within one of its share (and every node after it in this order leads less over)
      }
      Transfer best = null;
      double bestDeficit = 0;
      for (Shard s : map.getShardsList()) {
        if (leaders.getOrDefault(s.getId(), 0L) != from) {
          continue;
        }
        for (Replica r : s.getReplicasList()) {
          long to = r.getNodeId();
          if (to == from || r.getRole() != ReplicaRole.REPLICA_ROLE_VOTER || !weights.containsKey(to)) {
            continue;
          }
          double deficit = -excess.get(to);
          // The target is under its share, so it ends within one of it: every transfer lowers the sum of
          // the nodes' distances to their shares (by twice the deficit), so balancing ends.
          if (deficit > 1e-9 && deficit > bestDeficit) {
            best = new Transfer(s.getId(), from, to);
            bestDeficit = deficit;
          }
        }
      }
      if (best != null) {
        return best;
      }
    }
    return null;
  }
}
