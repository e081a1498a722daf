package io.kvstore.bench.ring;

import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.ring.NodeRing;
import io.kvstore.ring.ReplicaPlacement;
import io.kvstore.ring.RoutingTable;
import io.kvstore.ring.ShardRing;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The control-plane costs of the ring: placing every shard's replicas, building the node ring and the shard
 * ring (64 shards × 512 vnodes), validating a cluster map into a routing table, and a leader-hint update.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class PlacementBenchmark {

    @Param({"10", "100"})
    public int nodes;

    @Param({"64", "1024"})
    public int shards;

    private Map<Long, Integer> weights;
    private NodeRing nodeRing;
    private List<Long> shardIds;
    private List<Node> nodeList;
    private RoutingTable table;
    private long term;

    @Setup
    public void setUp() {
        weights = new TreeMap<>();
        for (long id = 1; id <= nodes; id++) {
            weights.put(id, 1 + (int) (id % 3));
        }
        nodeRing = NodeRing.of(weights);
        shardIds = LongStream.rangeClosed(1, shards).boxed().toList();
        nodeList = LongStream.rangeClosed(1, nodes).mapToObj(id -> Node.newBuilder().setId(id)
                .setAddress("127.0.0.1:" + (7000 + id)).setWeight(1).build()).toList();
        table = RoutingTable.bootstrap("bench", nodeList, ShardRing.ofCount(64), 3, Limits.getDefaultInstance());
    }

    /** Replicas (R = 3) of every shard on a built node ring. */
    @Benchmark
    public ReplicaPlacement placeAllShards() {
        return nodeRing.place(shardIds, 3);
    }

    /** Building the weighted node ring (weights 1..3, 256 points per unit of weight). */
    @Benchmark
    public NodeRing buildNodeRing() {
        return NodeRing.of(weights);
    }

    /** Building the 64-shard ring with 512 vnodes a shard (independent of the params). */
    @Benchmark
    public ShardRing buildShardRing64() {
        return ShardRing.ofCount(64);
    }

    /** Validating and indexing a 64-shard cluster map (about 32K ranges), as a client does on each new epoch. */
    @Benchmark
    public RoutingTable routingTableFromMap() {
        return RoutingTable.of(table.toClusterMap());
    }

    /** A leader-hint update: a new snapshot sharing ranges and the lookup. */
    @Benchmark
    public RoutingTable leaderHintUpdate() {
        return table.withLeaderHint(7, 2, ++term);
    }
}
