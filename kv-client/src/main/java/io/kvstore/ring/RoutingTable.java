package io.kvstore.ring;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validated, immutable snapshot of a {@link ClusterMap}: epoch, nodes, shards with their ranges, replicas
 * and leader hints, and the key → shard lookup. The server and the routing client share this type.
 *
 * <p>Contract:
 * <ul>
 *   <li>Immutable and thread-safe: publish a snapshot through a {@code volatile} field or an
 *       {@code AtomicReference} and read it without locks. Every "with" method returns a new snapshot (or
 *       this one when nothing changes) and never alters this one.</li>
 *   <li>{@link #of} refuses a map that breaks the rules of {@code cluster.proto} (ranges not covering the ring
 *       exactly once, zero or repeated ids, replicas on unknown nodes, an {@code unchanged} answer) with an
 *       {@link InvalidClusterMapException}: a holder keeps its old snapshot in that case.</li>
 *   <li>{@link #shardForKey} allocates nothing for {@code byte[]} keys and costs one XXH64 plus a binary
 *       search over the range starts.</li>
 *   <li>{@link #withLeaderHint} is cheap (copies the shard array, shares ranges, nodes and the lookup; the
 *       {@link ClusterMap} is rebuilt only when {@link #toClusterMap} is asked) and leaves the epoch alone:
 *       leader changes are hints, not map changes.</li>
 * </ul>
 */
public final class RoutingTable {

    /**
     * The map as received or built. Its shards carry the leader hints the map came with; {@link #shards}
     * carries the current ones.
     */
    private final ClusterMap base;
    private final ShardLookup lookup;
    /** Shards by dense index of {@link #lookup} (ascending id), with the current leader hints. */
    private final Shard[] shards;
    private final List<Shard> shardList;
    /** Position of each shard (by dense index) within {@code base.getShardsList()}. */
    private final int[] mapPositions;
    private final Map<Long, Node> nodesById;
    /**
     * {@link #toClusterMap()} built on first use when hints changed since {@link #base}; null until then. A
     * benign race: two threads may both build it, and both results are equal.
     */
    private volatile ClusterMap withHints;

    private RoutingTable(ClusterMap base, ShardLookup lookup, Shard[] shards, int[] mapPositions,
            Map<Long, Node> nodesById) {
        this.base = base;
        this.lookup = lookup;
        this.shards = shards;
        this.shardList = List.of(shards);
        this.mapPositions = mapPositions;
        this.nodesById = nodesById;
    }

    /**
     * The snapshot of a cluster map.
     *
     * @throws InvalidClusterMapException if the map breaks a rule of {@code cluster.proto}; the message says
     *     which
     */
    public static RoutingTable of(ClusterMap map) {
        if (map.getUnchanged()) {
            throw new InvalidClusterMapException(
                    "an 'unchanged' GetClusterMap answer carries no map; keep the snapshot you have");
        }
        Map<Long, Node> nodes = new LinkedHashMap<>();
        for (Node node : map.getNodesList()) {
            if (node.getId() == 0) {
                throw new InvalidClusterMapException("node id 0 is not allowed (ids are 1 or more)");
            }
            if (nodes.put(node.getId(), node) != null) {
                throw new InvalidClusterMapException("node id " + node.getId() + " appears more than once");
            }
        }
        ShardLookup lookup = ShardLookup.of(map.getShardsList());
        Shard[] shards = new Shard[lookup.shardCount()];
        int[] positions = new int[shards.length];
        for (int p = 0; p < map.getShardsCount(); p++) {
            Shard shard = map.getShards(p);
            Set<Long> seen = new HashSet<>();
            for (Replica replica : shard.getReplicasList()) {
                if (!nodes.containsKey(replica.getNodeId())) {
                    throw new InvalidClusterMapException("shard " + shard.getId() + " has a replica on node "
                            + replica.getNodeId() + ", which is not in the map's nodes");
                }
                if (!seen.add(replica.getNodeId())) {
                    throw new InvalidClusterMapException("shard " + shard.getId() + " lists node "
                            + replica.getNodeId() + " as a replica more than once");
                }
            }
            int index = lookup.indexOfShard(shard.getId());
            shards[index] = shard;
            positions[index] = p;
        }
        return new RoutingTable(map, lookup, shards, positions, Collections.unmodifiableMap(nodes));
    }

    /**
     * The first map of a new cluster (epoch 1): shards {@code 1..shardCount} on the default {@link ShardRing},
     * replicas (all voters) from {@link NodeRing#ofNodes} over {@code nodes}, no leader hints. Deterministic:
     * the same arguments always give the same map, so every node of a bootstrapping cluster agrees.
     *
     * @throws InvalidClusterMapException if the arguments cannot make a valid map
     */
    public static RoutingTable bootstrap(String clusterId, Collection<Node> nodes, int shardCount,
            int replicationFactor, Limits limits) {
        return bootstrap(clusterId, nodes, ShardRing.ofCount(shardCount), replicationFactor, limits);
    }

    /** As {@link #bootstrap(String, Collection, int, int, Limits)}, with the shards and vnodes of {@code ring}. */
    public static RoutingTable bootstrap(String clusterId, Collection<Node> nodes, ShardRing ring,
            int replicationFactor, Limits limits) {
        ReplicaPlacement placement = NodeRing.ofNodes(nodes).place(ring.shardIds(), replicationFactor);
        ClusterMap.Builder map = ClusterMap.newBuilder()
                .setClusterId(clusterId)
                .setEpoch(1)
                .addAllNodes(nodes)
                .setReplicationFactor(replicationFactor)
                .setLimits(limits);
        for (long shardId : ring.shardIds()) {
            Shard.Builder shard = Shard.newBuilder().setId(shardId).addAllRanges(ring.rangesOf(shardId));
            for (long nodeId : placement.replicasOf(shardId)) {
                shard.addReplicas(Replica.newBuilder().setNodeId(nodeId).setRole(ReplicaRole.REPLICA_ROLE_VOTER));
            }
            map.addShards(shard);
        }
        return of(map.build());
    }

    /** The cluster id chosen at bootstrap. */
    public String clusterId() {
        return base.getClusterId();
    }

    /** The epoch: grows with every change of nodes, shards, ranges or replicas (not of leader hints). */
    public long epoch() {
        return base.getEpoch();
    }

    /** Replicas per shard; 3 when the map leaves it unset. */
    public int replicationFactor() {
        return base.getReplicationFactor() == 0 ? NodeRing.DEFAULT_REPLICATION_FACTOR : base.getReplicationFactor();
    }

    /** The limits the cluster enforces. */
    public Limits limits() {
        return base.getLimits();
    }

    /** The shard that owns {@code key} (hash tags honoured). Never null: the ranges cover the ring. */
    public Shard shardForKey(byte[] key) {
        return shards[lookup.shardIndexForHash(KeyHash.of(key))];
    }

    /** The shard that owns {@code key} (hash tags honoured). Never null: the ranges cover the ring. */
    public Shard shardForKey(ByteString key) {
        return shards[lookup.shardIndexForHash(KeyHash.of(key))];
    }

    /** The shard that owns the (unsigned) hash. */
    public Shard shardForHash(long hash) {
        return shards[lookup.shardIndexForHash(hash)];
    }

    /** The shard with this id, if the map has it. */
    public Optional<Shard> shard(long shardId) {
        int index = lookup.indexOfShard(shardId);
        return index < 0 ? Optional.empty() : Optional.of(shards[index]);
    }

    /** All shards, ascending by id. */
    public List<Shard> shards() {
        return shardList;
    }

    /** The node with this id, if the map has it. */
    public Optional<Node> node(long nodeId) {
        return Optional.ofNullable(nodesById.get(nodeId));
    }

    /** All nodes in map order. */
    public Collection<Node> nodes() {
        return nodesById.values();
    }

    /** The leader hint of a shard: its node id, or 0 when unknown (or the shard is not in the map). */
    public long leaderHint(long shardId) {
        return shard(shardId).map(Shard::getLeaderNodeId).orElse(0L);
    }

    /**
     * The replica sets of this map (voters and learners, in map order) as a {@link ReplicaPlacement}: diff it
     * against {@code NodeRing.ofNodes(nodes()).place(...)} to see which replicas must move to reach the
     * placement the ring names.
     */
    public ReplicaPlacement placement() {
        Map<Long, List<Long>> replicas = new LinkedHashMap<>();
        for (Shard shard : shards) {
            replicas.put(shard.getId(), shard.getReplicasList().stream().map(Replica::getNodeId).toList());
        }
        return new ReplicaPlacement(replicas);
    }

    /** The key → shard lookup. */
    public ShardLookup lookup() {
        return lookup;
    }

    /** Whether this snapshot's epoch is higher than {@code other}'s (a different cluster id never is). */
    public boolean isNewerThan(RoutingTable other) {
        return clusterId().equals(other.clusterId()) && epoch() > other.epoch();
    }

    /**
     * A copy whose shard {@code shardId} names {@code leaderNodeId} as leader in {@code term}; the epoch stays.
     * Stale news is ignored (this snapshot is returned): a term below the known one, or the known term when a
     * leader is already known for it (Raft elects at most one leader per term, §5.2). Also returns this
     * snapshot when the shard is not in the map or nothing changes. {@code leaderNodeId = 0} records that a
     * newer term has no known leader yet.
     */
    public RoutingTable withLeaderHint(long shardId, long leaderNodeId, long term) {
        int index = lookup.indexOfShard(shardId);
        if (index < 0) {
            return this;
        }
        Shard current = shards[index];
        boolean newer = term > current.getLeaderTerm()
                || (term == current.getLeaderTerm() && current.getLeaderNodeId() == 0 && leaderNodeId != 0);
        if (!newer) {
            return this;
        }
        Shard updated = current.toBuilder().setLeaderNodeId(leaderNodeId).setLeaderTerm(term).build();
        Shard[] nextShards = Arrays.copyOf(shards, shards.length);
        nextShards[index] = updated;
        return new RoutingTable(base, lookup, nextShards, mapPositions, nodesById);
    }

    /**
     * The map this snapshot holds, with the leader hints it has learned, shards in the order the map had.
     * Built once per snapshot when hints changed (O(shards)), then cached.
     */
    public ClusterMap toClusterMap() {
        ClusterMap built = withHints;
        if (built != null) {
            return built;
        }
        Shard[] inMapOrder = new Shard[shards.length];
        boolean changed = false;
        for (int i = 0; i < shards.length; i++) {
            inMapOrder[mapPositions[i]] = shards[i];
            changed |= shards[i] != base.getShards(mapPositions[i]);
        }
        built = changed ? base.toBuilder().clearShards().addAllShards(Arrays.asList(inMapOrder)).build() : base;
        withHints = built;
        return built;
    }

    @Override
    public String toString() {
        return "RoutingTable{cluster=" + clusterId() + ", epoch=" + epoch() + ", nodes=" + nodesById.size()
                + ", shards=" + shards.length + ", ranges=" + lookup.rangeCount() + "}";
    }
}
