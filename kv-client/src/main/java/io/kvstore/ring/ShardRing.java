package io.kvstore.ring;

import io.kvstore.proto.v1.HashRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The arcs of the hash ring each shard owns, from consistent hashing with virtual nodes.
 *
 * <p>Each shard places {@code vnodesPerShard} points on the ring at {@code XXH64('S' ‖ shardId ‖ vnode)}
 * (the tag byte, then both numbers as 8 little-endian bytes; see {@link #vnodeToken}); a point owns the arc
 * from itself up to the next point, and the arc that wraps past 2^64 is split in two. Adjacent arcs of one
 * shard are merged. The layout is a pure function of the set of shard ids and the vnode count, so every node
 * computes the same ranges, and adding a shard only takes the arcs just after its new points: a little from
 * every shard, nothing moving between old shards (see {@link #transfers}).
 *
 * <p>Clients never need this class: the ranges in the cluster map are enough. The server uses it to bootstrap
 * a cluster and to plan shard additions.
 *
 * <p>Immutable and thread-safe.
 */
public final class ShardRing {

    /**
     * Virtual nodes per shard unless told otherwise. With 512, one million random keys over 64 shards land
     * with max/mean ≤ 1.15 (measured in {@code ShardRingTest}); the map then holds about 512 ranges a shard.
     * The spread of arc lengths shrinks as 1/sqrt(vnodes).
     */
    public static final int DEFAULT_VNODES_PER_SHARD = 512;

    /** The tag byte of shard virtual-node tokens; keeps them apart from node tokens ({@link NodeRing}). */
    static final byte SHARD_VNODE_TAG = 'S';

    private final long[] shardIds;
    private final int vnodesPerShard;
    private final Map<Long, List<HashRange>> rangesByShard;
    private final ShardLookup lookup;

    private ShardRing(long[] shardIds, int vnodesPerShard) {
        this.shardIds = shardIds;
        this.vnodesPerShard = vnodesPerShard;
        this.rangesByShard = computeRanges(shardIds, vnodesPerShard);
        this.lookup = ShardLookup.ofRanges(rangesByShard);
    }

    /** The ring of the given shards with {@link #DEFAULT_VNODES_PER_SHARD} virtual nodes each. */
    public static ShardRing of(Collection<Long> shardIds) {
        return of(shardIds, DEFAULT_VNODES_PER_SHARD);
    }

    /**
     * The ring of the given shards with {@code vnodesPerShard} virtual nodes each.
     *
     * @throws InvalidClusterMapException if there are no shards, an id is 0 or repeated, or
     *     {@code vnodesPerShard} is not in 1..65536
     */
    public static ShardRing of(Collection<Long> shardIds, int vnodesPerShard) {
        if (vnodesPerShard < 1 || vnodesPerShard > 65_536) {
            throw new InvalidClusterMapException("vnodesPerShard must be in 1..65536, got " + vnodesPerShard);
        }
        long[] ids = shardIds.stream().mapToLong(Long::longValue).sorted().toArray();
        if (ids.length == 0) {
            throw new InvalidClusterMapException("a shard ring needs at least one shard");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 0) {
                throw new InvalidClusterMapException("shard id 0 is not allowed (ids are 1 or more)");
            }
            if (i > 0 && ids[i] == ids[i - 1]) {
                throw new InvalidClusterMapException("shard id " + ids[i] + " appears more than once");
            }
        }
        return new ShardRing(ids, vnodesPerShard);
    }

    /** The ring of shards {@code 1..shardCount} with the default vnode count: the bootstrap layout. */
    public static ShardRing ofCount(int shardCount) {
        List<Long> ids = new ArrayList<>(shardCount);
        for (long id = 1; id <= shardCount; id++) {
            ids.add(id);
        }
        return of(ids);
    }

    /** The position of virtual node {@code vnode} of shard {@code shardId}: {@code XXH64('S' ‖ id ‖ vnode)}. */
    public static long vnodeToken(long shardId, long vnode) {
        return Xxh64.hashTagged(SHARD_VNODE_TAG, shardId, vnode);
    }

    /** This ring plus shard {@code shardId} (same vnode count). */
    public ShardRing withShard(long shardId) {
        long[] ids = Arrays.copyOf(shardIds, shardIds.length + 1);
        ids[shardIds.length] = shardId;
        return of(Arrays.stream(ids).boxed().toList(), vnodesPerShard);
    }

    /**
     * This ring without shard {@code shardId}; its arcs go to the shards whose points precede them.
     *
     * @throws InvalidClusterMapException if the shard is not in the ring or is the last one
     */
    public ShardRing withoutShard(long shardId) {
        if (Arrays.binarySearch(shardIds, shardId) < 0) {
            throw new InvalidClusterMapException("shard " + shardId + " is not in the ring");
        }
        return of(Arrays.stream(shardIds).filter(id -> id != shardId).boxed().toList(), vnodesPerShard);
    }

    /** The shard ids in ascending order. */
    public List<Long> shardIds() {
        return Arrays.stream(shardIds).boxed().toList();
    }

    /** The number of virtual nodes each shard places. */
    public int vnodesPerShard() {
        return vnodesPerShard;
    }

    /** The ranges of every shard, keyed by shard id in ascending order; each list sorted by start. */
    public Map<Long, List<HashRange>> ranges() {
        return rangesByShard;
    }

    /** The ranges of one shard, sorted by start (empty if the shard is not in the ring). */
    public List<HashRange> rangesOf(long shardId) {
        return rangesByShard.getOrDefault(shardId, List.of());
    }

    /** The fraction of the ring (0..1) that the shard owns: its expected share of uniformly hashed keys. */
    public double shareOf(long shardId) {
        double sum = 0;
        for (HashRange r : rangesOf(shardId)) {
            sum += HashRanges.fractionOfRing(r);
        }
        return sum;
    }

    /** The hash → shard lookup over these ranges. */
    public ShardLookup lookup() {
        return lookup;
    }

    /**
     * The arcs whose owner differs between two rings (for example before and after adding a shard), in
     * ascending order, adjacent arcs with the same from/to merged.
     */
    public static List<RangeTransfer> transfers(ShardRing before, ShardRing after) {
        return transfers(before.ranges(), after.ranges());
    }

    /**
     * As {@link #transfers(ShardRing, ShardRing)}, over shard id → ranges maps (for example the ranges of a
     * live map against those of a planned ring).
     *
     * @throws InvalidClusterMapException if either side does not cover the ring exactly once
     */
    public static List<RangeTransfer> transfers(Map<Long, List<HashRange>> before,
            Map<Long, List<HashRange>> after) {
        ShardLookup.ofRanges(before); // validation only: the walk below assumes exact coverage
        ShardLookup.ofRanges(after);
        List<long[]> a = boundaries(before);
        List<long[]> b = boundaries(after);
        List<RangeTransfer> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        long cursor = 0;
        boolean done = false;
        while (!done) {
            long fromShard = a.get(i)[1];
            long toShard = b.get(j)[1];
            long nextA = i + 1 < a.size() ? a.get(i + 1)[0] : 0; // 0: 2^64
            long nextB = j + 1 < b.size() ? b.get(j + 1)[0] : 0;
            long end;
            if (nextA == 0 && nextB == 0) {
                end = 0;
                done = true;
            } else if (nextA != 0 && (nextB == 0 || Long.compareUnsigned(nextA, nextB) <= 0)) {
                end = nextA;
            } else {
                end = nextB;
            }
            if (fromShard != toShard) {
                RangeTransfer last = out.isEmpty() ? null : out.get(out.size() - 1);
                if (last != null && last.range().getEnd() == cursor && last.fromShard() == fromShard
                        && last.toShard() == toShard) {
                    out.set(out.size() - 1,
                            new RangeTransfer(HashRanges.of(last.range().getStart(), end), fromShard, toShard));
                } else {
                    out.add(new RangeTransfer(HashRanges.of(cursor, end), fromShard, toShard));
                }
            }
            if (end == nextA && i + 1 < a.size()) {
                i++;
            }
            if (end == nextB && j + 1 < b.size()) {
                j++;
            }
            cursor = end;
        }
        return out;
    }

    /** (start, owner) pairs of a ring in unsigned start order, adjacent same-owner arcs merged. */
    private static List<long[]> boundaries(Map<Long, List<HashRange>> rangesByShard) {
        List<long[]> out = new ArrayList<>();
        for (Map.Entry<Long, List<HashRange>> e : rangesByShard.entrySet()) {
            for (HashRange r : e.getValue()) {
                out.add(new long[] {r.getStart(), e.getKey()});
            }
        }
        out.sort((x, y) -> Long.compareUnsigned(x[0], y[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] x : out) {
            if (merged.isEmpty() || merged.get(merged.size() - 1)[1] != x[1]) {
                merged.add(x);
            }
        }
        return merged;
    }

    private static Map<Long, List<HashRange>> computeRanges(long[] shardIds, int vnodesPerShard) {
        int n = shardIds.length * vnodesPerShard;
        long[] flipped = new long[n]; // token with the sign bit flipped: signed order = unsigned order
        long[] owners = new long[n];
        int k = 0;
        for (long id : shardIds) {
            for (int v = 0; v < vnodesPerShard; v++) {
                flipped[k] = vnodeToken(id, v) ^ Long.MIN_VALUE;
                owners[k] = id;
                k++;
            }
        }
        // On an exact token collision (astronomically rare), the lower shard id keeps the point; the other
        // point owns an empty arc and disappears. Still a deterministic function of the inputs.
        int[] order = SortOrder.of(flipped, owners);
        long[] tokens = new long[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = flipped[i] ^ Long.MIN_VALUE;
        }
        Map<Long, List<HashRange>> byShard = new TreeMap<>();
        for (long id : shardIds) {
            byShard.put(id, new ArrayList<>());
        }
        // The arc below the first point belongs to the owner of the last point (it wraps around 2^64).
        long runStart = 0;
        long runOwner = owners[order[n - 1]];
        for (int i = 0; i < n; i++) {
            long token = tokens[order[i]];
            long owner = owners[order[i]];
            if ((i > 0 && token == tokens[order[i - 1]]) || owner == runOwner) {
                continue;
            }
            if (token != runStart) { // equal only for a first point at exactly 0: no wrapped piece below it
                byShard.get(runOwner).add(HashRanges.of(runStart, token));
            }
            runStart = token;
            runOwner = owner;
        }
        byShard.get(runOwner).add(HashRanges.of(runStart, 0));
        Map<Long, List<HashRange>> frozen = new LinkedHashMap<>();
        for (Map.Entry<Long, List<HashRange>> e : byShard.entrySet()) {
            List<HashRange> ranges = e.getValue();
            ranges.sort((x, y) -> Long.compareUnsigned(x.getStart(), y.getStart()));
            frozen.put(e.getKey(), List.copyOf(ranges));
        }
        return Collections.unmodifiableMap(frozen);
    }
}
