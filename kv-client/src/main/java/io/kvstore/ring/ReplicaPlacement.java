package io.kvstore.ring;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Shard id → the nodes that hold its replicas, in preference order (the first is the natural leader), as
 * computed by {@link NodeRing#place}. Immutable and thread-safe.
 */
public final class ReplicaPlacement {

    private final Map<Long, List<Long>> replicasByShard;

    /**
     * A placement from shard id → replica node ids (copied).
     *
     * @throws InvalidClusterMapException if a shard lists a node twice
     */
    public ReplicaPlacement(Map<Long, List<Long>> replicasByShard) {
        Map<Long, List<Long>> copy = new LinkedHashMap<>();
        for (Map.Entry<Long, List<Long>> e : new TreeMap<>(replicasByShard).entrySet()) {
            if (new TreeSet<>(e.getValue()).size() != e.getValue().size()) {
                throw new InvalidClusterMapException("shard " + e.getKey() + " lists a node twice: " + e.getValue());
            }
            copy.put(e.getKey(), List.copyOf(e.getValue()));
        }
        this.replicasByShard = Collections.unmodifiableMap(copy);
    }

    /** Shard id (ascending) → replica node ids in preference order. */
    public Map<Long, List<Long>> replicasByShard() {
        return replicasByShard;
    }

    /** The replicas of one shard in preference order (empty when the shard is not placed). */
    public List<Long> replicasOf(long shardId) {
        return replicasByShard.getOrDefault(shardId, List.of());
    }

    /** Node id (ascending) → how many replicas it holds. Nodes with none are absent. */
    public Map<Long, Integer> replicaCounts() {
        Map<Long, Integer> counts = new TreeMap<>();
        for (List<Long> nodes : replicasByShard.values()) {
            for (long node : nodes) {
                counts.merge(node, 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Node id (ascending) → how many shards list it first (their natural leader). */
    public Map<Long, Integer> preferredLeaderCounts() {
        Map<Long, Integer> counts = new TreeMap<>();
        for (List<Long> nodes : replicasByShard.values()) {
            if (!nodes.isEmpty()) {
                counts.merge(nodes.get(0), 1, Integer::sum);
            }
        }
        return counts;
    }

    /**
     * The shards whose replica sets differ from {@code before} to {@code after} (order within a set is
     * ignored), ascending by shard id. A shard present on one side only counts all its replicas as added or
     * removed.
     */
    public static List<PlacementChange> diff(ReplicaPlacement before, ReplicaPlacement after) {
        Set<Long> shards = new TreeSet<>(before.replicasByShard.keySet());
        shards.addAll(after.replicasByShard.keySet());
        List<PlacementChange> out = new ArrayList<>();
        for (long shard : shards) {
            Set<Long> was = new TreeSet<>(before.replicasOf(shard));
            Set<Long> now = new TreeSet<>(after.replicasOf(shard));
            List<Long> added = new ArrayList<>();
            for (long node : now) {
                if (!was.contains(node)) {
                    added.add(node);
                }
            }
            List<Long> removed = new ArrayList<>();
            for (long node : was) {
                if (!now.contains(node)) {
                    removed.add(node);
                }
            }
            if (!added.isEmpty() || !removed.isEmpty()) {
                out.add(new PlacementChange(shard, added, removed));
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReplicaPlacement other && replicasByShard.equals(other.replicasByShard);
    }

    @Override
    public int hashCode() {
        return replicasByShard.hashCode();
    }

    @Override
    public String toString() {
        return "ReplicaPlacement" + replicasByShard;
    }
}
