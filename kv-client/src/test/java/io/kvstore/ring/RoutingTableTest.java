package io.kvstore.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.HashRange;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class RoutingTableTest {

    private static final Limits LIMITS =
            Limits.newBuilder().setMaxKeyBytes(4096).setMaxValueBytes(1 << 20).setMaxBatchKeys(128).build();

    private static List<Node> nodes(int count) {
        return LongStream.rangeClosed(1, count).mapToObj(id -> Node.newBuilder().setId(id)
                .setAddress("127.0.0.1:" + (7000 + id)).setWeight(1).build()).toList();
    }

    private static RoutingTable bootstrap() {
        return RoutingTable.bootstrap("c1", nodes(5), ShardRing.of(LongStream.rangeClosed(1, 16).boxed().toList(), 32),
                3, LIMITS);
    }

    @Test
    void bootstrapIsValidAndDeterministic() {
        RoutingTable table = bootstrap();
        assertThat(table.epoch()).isEqualTo(1);
        assertThat(table.clusterId()).isEqualTo("c1");
        assertThat(table.replicationFactor()).isEqualTo(3);
        assertThat(table.shards()).hasSize(16).allSatisfy(s -> {
            assertThat(s.getReplicasList()).hasSize(3)
                    .allSatisfy(r -> assertThat(r.getRole()).isEqualTo(ReplicaRole.REPLICA_ROLE_VOTER));
            assertThat(s.getLeaderNodeId()).isZero();
        });
        assertThat(bootstrap().toClusterMap()).isEqualTo(table.toClusterMap());
        // Replicas come from the node ring in preference order.
        NodeRing ring = NodeRing.ofNodes(nodes(5));
        for (Shard s : table.shards()) {
            assertThat(s.getReplicasList().stream().map(Replica::getNodeId).toList())
                    .isEqualTo(ring.replicasOf(s.getId(), 3));
        }
    }

    @Test
    void placementOfTheMapDiffsAgainstTheRing() {
        RoutingTable table = bootstrap();
        List<Long> shardIds = table.shards().stream().map(Shard::getId).toList();
        assertThat(table.placement()).isEqualTo(NodeRing.ofNodes(table.nodes()).place(shardIds, 3));

        List<Node> sixNodes = new java.util.ArrayList<>(table.nodes());
        sixNodes.add(Node.newBuilder().setId(6).setAddress("127.0.0.1:7006").build());
        List<PlacementChange> changes =
                ReplicaPlacement.diff(table.placement(), NodeRing.ofNodes(sixNodes).place(shardIds, 3));
        assertThat(changes).isNotEmpty().allSatisfy(c -> assertThat(c.added()).containsExactly(6L));
    }

    @Test
    void routesKeysLikeTheLookup() {
        RoutingTable table = bootstrap();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 10_000; i++) {
            byte[] key = new byte[random.nextInt(1, 40)];
            random.nextBytes(key);
            long expected = table.lookup().shardIdForKey(key);
            Shard shard = table.shardForKey(key);
            assertThat(shard.getId()).isEqualTo(expected);
            assertThat(table.shardForKey(ByteString.copyFrom(key))).isSameAs(shard);
            long hash = KeyHash.of(key);
            assertThat(shard.getRangesList().stream().anyMatch(r -> HashRanges.contains(r, hash))).isTrue();
        }
        assertThat(table.shardForKey("user:{7}:a".getBytes())).isSameAs(table.shardForKey("{7}".getBytes()));
    }

    @Test
    void roundTripsThroughTheProto() {
        RoutingTable table = bootstrap().withLeaderHint(3, 2, 5);
        RoutingTable copy = RoutingTable.of(table.toClusterMap());
        assertThat(copy.toClusterMap()).isEqualTo(table.toClusterMap());
        assertThat(copy.leaderHint(3)).isEqualTo(2);
        assertThat(copy.node(4)).hasValueSatisfying(n -> assertThat(n.getAddress()).isEqualTo("127.0.0.1:7004"));
        assertThat(copy.node(9)).isEmpty();
        assertThat(copy.shard(99)).isEmpty();
    }

    @Test
    void leaderHintsProduceANewSnapshotAndIgnoreStaleNews() {
        RoutingTable v0 = bootstrap();
        Shard shard3 = v0.shard(3).orElseThrow();
        long replica = shard3.getReplicas(0).getNodeId();

        RoutingTable v1 = v0.withLeaderHint(3, replica, 5);
        assertThat(v1).isNotSameAs(v0);
        assertThat(v1.leaderHint(3)).isEqualTo(replica);
        assertThat(v1.shard(3).orElseThrow().getLeaderTerm()).isEqualTo(5);
        assertThat(v0.leaderHint(3)).as("the old snapshot is untouched").isZero();
        assertThat(v1.epoch()).isEqualTo(v0.epoch());
        assertThat(v1.lookup()).isSameAs(v0.lookup());
        assertThat(v1.shard(4)).isEqualTo(v0.shard(4));
        assertThat(v1.shard(3).orElseThrow().getRangesList()).isEqualTo(shard3.getRangesList());
        // The map holds the hint at the shard's own position.
        assertThat(v1.toClusterMap().getShardsList().stream().filter(s -> s.getId() == 3).findFirst().orElseThrow()
                .getLeaderNodeId()).isEqualTo(replica);

        assertThat(v0.toClusterMap()).as("no hints learned: the map as built").isSameAs(v0.toClusterMap());
        assertThat(v1.toClusterMap().getShardsList().stream().map(Shard::getId).toList())
                .as("shards keep the map's order").isEqualTo(v0.toClusterMap().getShardsList().stream()
                        .map(Shard::getId).toList());
        assertThat(v1.toClusterMap().toBuilder().setShards(2, v0.toClusterMap().getShards(2)).build())
                .as("only shard 3's hint differs").isEqualTo(v0.toClusterMap());

        assertThat(v1.withLeaderHint(3, 1, 4)).as("older term").isSameAs(v1);
        assertThat(v1.withLeaderHint(3, 1, 5)).as("same term, leader known").isSameAs(v1);
        assertThat(v1.withLeaderHint(99, 1, 9)).as("unknown shard").isSameAs(v1);

        RoutingTable v2 = v1.withLeaderHint(3, 0, 6);
        assertThat(v2.leaderHint(3)).as("newer term, leader not known yet").isZero();
        assertThat(v2.withLeaderHint(3, 2, 6).leaderHint(3)).as("leader learned for that term").isEqualTo(2);
    }

    @Test
    void hintsLandOnTheRightShardWhenTheMapIsNotInIdOrder() {
        ClusterMap built = bootstrap().toClusterMap();
        List<Shard> reversed = new java.util.ArrayList<>(built.getShardsList());
        java.util.Collections.reverse(reversed);
        RoutingTable table = RoutingTable.of(built.toBuilder().clearShards().addAllShards(reversed).build());
        ClusterMap withHint = table.withLeaderHint(3, 2, 7).toClusterMap();
        assertThat(withHint.getShardsList().stream().map(Shard::getId).toList())
                .isEqualTo(reversed.stream().map(Shard::getId).toList());
        assertThat(withHint.getShardsList()).allSatisfy(s ->
                assertThat(s.getLeaderNodeId()).isEqualTo(s.getId() == 3 ? 2 : 0));
        assertThat(table.shards().stream().map(Shard::getId).toList()).isSorted();
    }

    @Test
    void newerEpochOfSameCluster() {
        RoutingTable a = bootstrap();
        RoutingTable b = RoutingTable.of(a.toClusterMap().toBuilder().setEpoch(2).build());
        RoutingTable other = RoutingTable.of(b.toClusterMap().toBuilder().setClusterId("c2").setEpoch(9).build());
        assertThat(b.isNewerThan(a)).isTrue();
        assertThat(a.isNewerThan(b)).isFalse();
        assertThat(other.isNewerThan(a)).isFalse();
    }

    @Test
    void replicationFactorDefaultsToThree() {
        RoutingTable table = RoutingTable.of(bootstrap().toClusterMap().toBuilder().clearReplicationFactor().build());
        assertThat(table.replicationFactor()).isEqualTo(3);
    }

    @Test
    void refusesInvalidMaps() {
        ClusterMap good = bootstrap().toClusterMap();
        assertRefused(good.toBuilder().setUnchanged(true).build(), "unchanged");
        assertRefused(good.toBuilder().addNodes(good.getNodes(0)).build(), "node id 1 appears more than once");
        assertRefused(good.toBuilder().addNodes(Node.newBuilder().setId(0)).build(), "node id 0");
        assertRefused(good.toBuilder().setShards(0, good.getShards(0).toBuilder()
                .addReplicas(Replica.newBuilder().setNodeId(42))).build(), "node 42, which is not in the map");
        Shard first = good.getShards(0);
        assertRefused(good.toBuilder().setShards(0, first.toBuilder().setReplicas(1, first.getReplicas(0))).build(),
                "more than once");
        HashRange dropped = first.getRanges(0);
        assertRefused(good.toBuilder().setShards(0, first.toBuilder().removeRanges(0)).build(),
                "no shard owns " + HashRanges.format(dropped));
        assertRefused(good.toBuilder().addShards(Shard.newBuilder().setId(99).addRanges(HashRanges.of(0, 1))).build(),
                "overlap");
        assertRefused(good.toBuilder().addShards(first).build(), "shard id " + first.getId() + " appears");
        assertRefused(ClusterMap.getDefaultInstance(), "no shards");
    }

    private static void assertRefused(ClusterMap map, String message) {
        assertThatThrownBy(() -> RoutingTable.of(map)).isInstanceOf(InvalidClusterMapException.class)
                .hasMessageContaining(message);
    }
}
