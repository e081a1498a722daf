package io.kvstore.ring;

import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replica placement by consistent hashing with weighted virtual nodes.
 *
 * <p>A node of weight {@code w} places {@code w × vnodesPerWeight} points on a ring of its own (separate from
 * the shard ring) at {@code XXH64('N' ‖ nodeId ‖ vnode)}. A shard sits at {@code XXH64('P' ‖ shardId ‖ 0)};
 * its replicas are the first {@code R} <em>distinct</em> nodes met walking clockwise from there (all nodes
 * when there are fewer than {@code R}). The order of the walk is a preference order: the first replica is
 * the natural leader, so leaders, too, spread by weight.
 *
 * <p>Why this shape: adding a node inserts it into some walks. A shard whose first {@code R} distinct nodes
 * now include the new one swaps exactly its {@code R}-th node for it; every other shard is untouched. Removing
 * a node replaces it, in the shards that had it, by the next distinct node of their walk; no other shard
 * changes. So only the replica sets that must change do, and about {@code R/(N+1)} of the replicas move to a
 * new node of average weight. The result depends only on the node ids, weights, shard ids and {@code R}:
 * every node bootstrapping a cluster computes the same placement.
 *
 * <p>Immutable and thread-safe.
 */
public final class NodeRing {

    /** Points per unit of weight unless told otherwise; node shares of the ring vary by about 1/sqrt(256). */
    public static final int DEFAULT_VNODES_PER_WEIGHT = 256;

    /** The replication factor when none is configured (proto: 0 means 3). */
    public static final int DEFAULT_REPLICATION_FACTOR = 3;

    /** Upper bound on points per node, which bounds the weight. */
    private static final int MAX_POINTS_PER_NODE = 1 << 20;

    static final byte NODE_VNODE_TAG = 'N';
    static final byte SHARD_POSITION_TAG = 'P';

    private final Map<Long, Integer> weights;
    private final int vnodesPerWeight;
    /** Node points with the sign bit flipped (signed order = unsigned order), ascending. */
    private final long[] flippedTokens;
    private final long[] tokenOwners;

    private NodeRing(Map<Long, Integer> weights, int vnodesPerWeight) {
        this.weights = weights;
        this.vnodesPerWeight = vnodesPerWeight;
        int n = 0;
        for (int w : weights.values()) {
            n += w * vnodesPerWeight;
        }
        long[] flipped = new long[n]; // token with the sign bit flipped: signed order = unsigned order
        long[] owners = new long[n];
        int k = 0;
        for (Map.Entry<Long, Integer> e : weights.entrySet()) {
            int count = e.getValue() * vnodesPerWeight;
            for (int v = 0; v < count; v++) {
                flipped[k] = vnodeToken(e.getKey(), v) ^ Long.MIN_VALUE;
                owners[k] = e.getKey();
                k++;
            }
        }
        // Ties (astronomically rare) go to the lower node id first; the walk then meets both.
        int[] order = SortOrder.of(flipped, owners);
        this.flippedTokens = new long[n];
        this.tokenOwners = new long[n];
        for (int i = 0; i < n; i++) {
            flippedTokens[i] = flipped[order[i]];
            tokenOwners[i] = owners[order[i]];
        }
    }

    /** The ring of the given node id → weight map, with {@link #DEFAULT_VNODES_PER_WEIGHT}. */
    public static NodeRing of(Map<Long, Integer> nodeWeights) {
        return of(nodeWeights, DEFAULT_VNODES_PER_WEIGHT);
    }

    /**
     * The ring of the given node id → weight map.
     *
     * @throws InvalidClusterMapException if there are no nodes, an id is 0, a weight is below 1, or
     *     {@code weight × vnodesPerWeight} exceeds 2^20 points for a node
     */
    public static NodeRing of(Map<Long, Integer> nodeWeights, int vnodesPerWeight) {
        if (vnodesPerWeight < 1) {
            throw new InvalidClusterMapException("vnodesPerWeight must be 1 or more, got " + vnodesPerWeight);
        }
        if (nodeWeights.isEmpty()) {
            throw new InvalidClusterMapException("replica placement needs at least one node");
        }
        Map<Long, Integer> sorted = new TreeMap<>();
        for (Map.Entry<Long, Integer> e : nodeWeights.entrySet()) {
            long id = e.getKey();
            int weight = e.getValue();
            if (id == 0) {
                throw new InvalidClusterMapException("node id 0 is not allowed (ids are 1 or more)");
            }
            if (weight < 1 || (long) weight * vnodesPerWeight > MAX_POINTS_PER_NODE) {
                throw new InvalidClusterMapException("node " + id + " has weight " + weight
                        + "; weights are 1.." + (MAX_POINTS_PER_NODE / vnodesPerWeight));
            }
            sorted.put(id, weight);
        }
        return new NodeRing(Collections.unmodifiableMap(new LinkedHashMap<>(sorted)), vnodesPerWeight);
    }

    /**
     * The ring of the nodes that may hold replicas: every node except those {@link NodeState#NODE_STATE_LEAVING
     * leaving} (being drained). Down nodes stay: a node that is briefly unreachable must not reshuffle the
     * placement. Weight 0 (unset in proto3) counts as 1.
     *
     * @throws InvalidClusterMapException if a node id repeats, or as for {@link #of(Map, int)}
     */
    public static NodeRing ofNodes(Collection<Node> nodes) {
        Map<Long, Integer> weights = new LinkedHashMap<>();
        for (Node node : nodes) {
            if (node.getState() == NodeState.NODE_STATE_LEAVING) {
                continue;
            }
            if (weights.put(node.getId(), node.getWeight() == 0 ? 1 : node.getWeight()) != null) {
                throw new InvalidClusterMapException("node id " + node.getId() + " appears more than once");
            }
        }
        return of(weights);
    }

    /** The position of point {@code vnode} of node {@code nodeId}: {@code XXH64('N' ‖ id ‖ vnode)}. */
    public static long vnodeToken(long nodeId, long vnode) {
        return Xxh64.hashTagged(NODE_VNODE_TAG, nodeId, vnode);
    }

    /** Where shard {@code shardId} starts its walk: {@code XXH64('P' ‖ id ‖ 0)}. */
    public static long shardPosition(long shardId) {
        return Xxh64.hashTagged(SHARD_POSITION_TAG, shardId, 0L);
    }

    /** This ring plus a node (or with the node's weight changed). */
    public NodeRing withNode(long nodeId, int weight) {
        Map<Long, Integer> next = new TreeMap<>(weights);
        next.put(nodeId, weight);
        return of(next, vnodesPerWeight);
    }

    /**
     * This ring without a node.
     *
     * @throws InvalidClusterMapException if the node is not in the ring or is the last one
     */
    public NodeRing withoutNode(long nodeId) {
        if (!weights.containsKey(nodeId)) {
            throw new InvalidClusterMapException("node " + nodeId + " is not in the ring");
        }
        Map<Long, Integer> next = new TreeMap<>(weights);
        next.remove(nodeId);
        return of(next, vnodesPerWeight);
    }

    /** Node id → weight, ascending by id. */
    public Map<Long, Integer> weights() {
        return weights;
    }

    /** The number of points per unit of weight. */
    public int vnodesPerWeight() {
        return vnodesPerWeight;
    }

    /**
     * The replicas of one shard in preference order: the first {@code min(R, nodes)} distinct nodes walking
     * clockwise from {@link #shardPosition}.
     *
     * @throws IllegalArgumentException if {@code replicationFactor < 1}
     */
    public List<Long> replicasOf(long shardId, int replicationFactor) {
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be 1 or more, got " + replicationFactor);
        }
        int want = Math.min(replicationFactor, weights.size());
        long[] chosen = new long[want];
        int found = 0;
        int n = flippedTokens.length;
        int i = Arrays.binarySearch(flippedTokens, shardPosition(shardId) ^ Long.MIN_VALUE);
        int start = i >= 0 ? i : -i - 1; // the first point at or after the position
        for (int step = 0; step < n && found < want; step++) {
            long owner = tokenOwners[(start + step) % n];
            boolean seen = false;
            for (int c = 0; c < found; c++) {
                if (chosen[c] == owner) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                chosen[found++] = owner;
            }
        }
        List<Long> out = new ArrayList<>(want);
        for (long id : chosen) {
            out.add(id);
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The placement of every given shard.
     *
     * @throws IllegalArgumentException if {@code replicationFactor < 1}
     */
    public ReplicaPlacement place(Collection<Long> shardIds, int replicationFactor) {
        Map<Long, List<Long>> out = new TreeMap<>();
        for (long shardId : shardIds) {
            out.put(shardId, replicasOf(shardId, replicationFactor));
        }
        return new ReplicaPlacement(out);
    }
}
