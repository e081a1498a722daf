package io.kvstore.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.HashRange;
import io.kvstore.proto.v1.Shard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShardLookupTest {

    private static final long TOP = 0xFFFF_FFFF_FFFF_FFFFL; // 2^64 - 1

    private static Shard shard(long id, HashRange... ranges) {
        return Shard.newBuilder().setId(id).addAllRanges(Arrays.asList(ranges)).build();
    }

    private static HashRange r(long start, long end) {
        return HashRanges.of(start, end);
    }

    @Test
    void oneShardOwningTheWholeRing() {
        ShardLookup lookup = ShardLookup.of(ClusterMap.newBuilder().addShards(shard(7, r(0, 0))).build());
        assertThat(lookup.shardIdForHash(0)).isEqualTo(7);
        assertThat(lookup.shardIdForHash(TOP)).isEqualTo(7);
        assertThat(lookup.shardIdForKey("anything".getBytes())).isEqualTo(7);
    }

    @Test
    void boundariesBelongToTheRangeThatStartsThere() {
        long mid = 0x8000_0000_0000_0000L; // 2^63: negative as a signed long
        ShardLookup lookup = ShardLookup.of(List.of(
                shard(1, r(0, 100), r(mid, mid + 5)),
                shard(2, r(100, mid), r(mid + 5, 0))));
        assertThat(lookup.shardIdForHash(0)).isEqualTo(1);
        assertThat(lookup.shardIdForHash(99)).isEqualTo(1);
        assertThat(lookup.shardIdForHash(100)).isEqualTo(2);
        assertThat(lookup.shardIdForHash(mid - 1)).isEqualTo(2);
        assertThat(lookup.shardIdForHash(mid)).isEqualTo(1);
        assertThat(lookup.shardIdForHash(mid + 4)).isEqualTo(1);
        assertThat(lookup.shardIdForHash(mid + 5)).isEqualTo(2);
        assertThat(lookup.shardIdForHash(TOP)).isEqualTo(2);
        assertThat(lookup.rangeCount()).isEqualTo(4);
    }

    @Test
    void adjacentRangesOfOneShardAreMerged() {
        ShardLookup lookup = ShardLookup.of(List.of(shard(1, r(0, 10), r(10, 20)), shard(2, r(20, 0))));
        assertThat(lookup.rangeCount()).isEqualTo(2);
        assertThat(lookup.shardIdForHash(15)).isEqualTo(1);
    }

    @Test
    void aShardWithoutRangesIsAllowedAndNeverChosen() {
        ShardLookup lookup = ShardLookup.of(List.of(shard(1, r(0, 0)), shard(2)));
        assertThat(lookup.shardCount()).isEqualTo(2);
        assertThat(lookup.indexOfShard(2)).isEqualTo(1);
        assertThat(lookup.shardIdForHash(TOP)).isEqualTo(1);
    }

    /** Random partitions of the ring: the binary search agrees with a linear scan, including at boundaries. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void agreesWithLinearScanOnRandomPartitions(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int cuts = random.nextInt(1, 200);
        // Random cut points, and cut points at and next to the lookup's internal bucket edges (multiples of
        // 2^52), where an off-by-one would show.
        long[] points = LongStream.concat(random.longs(cuts),
                random.longs(cuts, 0, 4096).map(b -> (b << 52) + random.nextInt(-1, 2)))
                .distinct().filter(p -> p != 0).toArray();
        long[] sorted = Arrays.stream(points).map(p -> p ^ Long.MIN_VALUE).sorted().map(p -> p ^ Long.MIN_VALUE)
                .toArray();
        int shardCount = random.nextInt(1, 20);
        List<Shard.Builder> builders = new ArrayList<>();
        for (int s = 1; s <= shardCount; s++) {
            builders.add(Shard.newBuilder().setId(s * 10L));
        }
        List<long[]> owned = new ArrayList<>(); // start, end, shard
        long start = 0;
        for (int i = 0; i <= sorted.length; i++) {
            long end = i < sorted.length ? sorted[i] : 0;
            int s = random.nextInt(shardCount);
            builders.get(s).addRanges(r(start, end));
            owned.add(new long[] {start, end, (s + 1) * 10L});
            start = end;
        }
        List<Shard> shards = builders.stream().map(Shard.Builder::build).toList();
        ShardLookup lookup = ShardLookup.of(shards);

        List<Long> probes = new ArrayList<>(List.of(0L, 1L, TOP, Long.MIN_VALUE, Long.MAX_VALUE));
        for (long b = 0; b < 4096; b += random.nextInt(1, 64)) {
            probes.add(b << 52);
            probes.add((b << 52) - 1);
        }
        for (long p : sorted) {
            probes.add(p);
            probes.add(p - 1);
            probes.add(p + 1);
        }
        random.longs(5000).forEach(probes::add);
        for (long hash : probes) {
            long expected = owned.stream().filter(o -> HashRanges.contains(r(o[0], o[1]), hash))
                    .mapToLong(o -> o[2]).findFirst().orElseThrow();
            assertThat(lookup.shardIdForHash(hash)).as("hash %s", HashRanges.hex(hash)).isEqualTo(expected);
        }
    }

    @Test
    void refusesAGapAtTheBottom() {
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(5, 0)))))
                .isInstanceOf(InvalidClusterMapException.class)
                .hasMessageContaining("no shard owns [0x0000000000000000, 0x0000000000000005)");
    }

    @Test
    void refusesAGapInTheMiddle() {
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 10)), shard(2, r(20, 0)))))
                .isInstanceOf(InvalidClusterMapException.class)
                .hasMessageContaining("no shard owns [0x000000000000000a, 0x0000000000000014)")
                .hasMessageContaining("after shard 1");
    }

    @Test
    void refusesAGapAtTheTop() {
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 10)), shard(2, r(10, TOP)))))
                .isInstanceOf(InvalidClusterMapException.class)
                .hasMessageContaining("no shard owns [0xffffffffffffffff, 2^64)");
    }

    @Test
    void refusesOverlaps() {
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 20)), shard(2, r(10, 0)))))
                .isInstanceOf(InvalidClusterMapException.class)
                .hasMessageContaining("overlap").hasMessageContaining("shard 1").hasMessageContaining("shard 2");
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 0)), shard(2, r(0, 0)))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("overlap");
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 0), r(5, 6)))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("overlap");
    }

    @Test
    void refusesEmptyAndInvertedRanges() {
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 0), r(5, 5)))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("empty or inverted");
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(1, r(0, 10), r(20, 10), r(10, 0)))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("shard 1");
    }

    @Test
    void refusesBadShardIds() {
        assertThatThrownBy(() -> ShardLookup.of(List.of()))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("no shards");
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(0, r(0, 0)))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("shard id 0");
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(3, r(0, 10)), shard(3, r(10, 0)))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("shard id 3 appears more");
        assertThatThrownBy(() -> ShardLookup.of(List.of(shard(3))))
                .isInstanceOf(InvalidClusterMapException.class).hasMessageContaining("not covered");
    }
}
