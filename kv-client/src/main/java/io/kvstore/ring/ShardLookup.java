package io.kvstore.ring;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.HashRange;
import io.kvstore.proto.v1.Shard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The immutable hash → shard index of a cluster map: the starts of all ranges in unsigned order and a binary
 * search over them. Built only from ranges that cover the ring exactly once (validated on construction).
 *
 * <p>Shards are numbered by a dense <em>index</em> ({@code 0 .. shardCount()-1}, in ascending shard-id
 * order) so that callers such as {@link RoutingTable} can keep per-shard data in arrays; {@link
 * #shardIdAt(int)} maps an index back to the shard id.
 *
 * <p>Immutable and thread-safe. A lookup allocates nothing beyond what {@link KeyHash} does.
 */
public final class ShardLookup {

    /** Range starts with the sign bit flipped, so that signed order is unsigned order; ascending. */
    private final long[] flippedStarts;
    /** {@code shardIndexByRange[i]}: the shard index owning {@code [start i, start i+1)}. */
    private final int[] shardIndexByRange;
    /** Shard ids in ascending order; position = shard index. */
    private final long[] shardIds;
    /**
     * {@code floorByBucket[b]}: the index of the range holding the first hash of bucket {@code b} (the top
     * {@link #BUCKET_BITS} bits of a hash); entry {@code BUCKETS} is the last range. A hash of bucket b lies in
     * a range between {@code floorByBucket[b]} and {@code floorByBucket[b + 1]}: a few neighbouring starts,
     * usually one cache line, instead of a search over the whole array.
     */
    private final int[] floorByBucket;

    private static final int BUCKET_BITS = 12;
    private static final int BUCKETS = 1 << BUCKET_BITS;

    private ShardLookup(long[] flippedStarts, int[] shardIndexByRange, long[] shardIds) {
        this.flippedStarts = flippedStarts;
        this.shardIndexByRange = shardIndexByRange;
        this.shardIds = shardIds;
        this.floorByBucket = new int[BUCKETS + 1];
        int r = 0;
        for (int b = 0; b < BUCKETS; b++) {
            long bucketStart = ((long) b << (64 - BUCKET_BITS)) ^ Long.MIN_VALUE;
            while (r + 1 < flippedStarts.length && flippedStarts[r + 1] <= bucketStart) {
                r++;
            }
            floorByBucket[b] = r;
        }
        floorByBucket[BUCKETS] = flippedStarts.length - 1;
    }

    /**
     * The lookup over the shards of a cluster map (only the ranges are checked here; {@link RoutingTable#of}
     * validates the whole map).
     *
     * @throws InvalidClusterMapException as for {@link #of(Collection)}
     */
    public static ShardLookup of(ClusterMap map) {
        return of(map.getShardsList());
    }

    /**
     * The lookup over the ranges of {@code shards}.
     *
     * @throws InvalidClusterMapException if there are no shards, a shard id is 0 or repeated, a range is
     *     empty, or the ranges leave a gap or overlap; the message names the shards and ranges involved
     */
    public static ShardLookup of(Collection<Shard> shards) {
        List<OwnedRange> ranges = new ArrayList<>();
        long[] ids = new long[shards.size()];
        int n = 0;
        for (Shard shard : shards) {
            ids[n++] = shard.getId();
            for (HashRange range : shard.getRangesList()) {
                ranges.add(new OwnedRange(range.getStart(), range.getEnd(), shard.getId()));
            }
        }
        return build(ids, ranges);
    }

    /**
     * The lookup over the given ranges of each shard id (as {@link ShardRing#ranges()} returns them).
     *
     * @throws InvalidClusterMapException as for {@link #of(Collection)}
     */
    public static ShardLookup ofRanges(Map<Long, List<HashRange>> rangesByShard) {
        List<OwnedRange> ranges = new ArrayList<>();
        long[] ids = new long[rangesByShard.size()];
        int n = 0;
        for (Map.Entry<Long, List<HashRange>> e : rangesByShard.entrySet()) {
            ids[n++] = e.getKey();
            for (HashRange range : e.getValue()) {
                ranges.add(new OwnedRange(range.getStart(), range.getEnd(), e.getKey()));
            }
        }
        return build(ids, ranges);
    }

    /** The id of the shard that owns the (unsigned) hash. */
    public long shardIdForHash(long hash) {
        return shardIds[shardIndexForHash(hash)];
    }

    /** The dense index of the shard that owns the (unsigned) hash. */
    public int shardIndexForHash(long hash) {
        int bucket = (int) (hash >>> (64 - BUCKET_BITS));
        int lo = floorByBucket[bucket];
        int hi = floorByBucket[bucket + 1];
        int i = Arrays.binarySearch(flippedStarts, lo, hi + 1, hash ^ Long.MIN_VALUE);
        // Not found: i = -(insertion point) - 1, and the owner is the range just before the insertion point,
        // which is at least lo because the start at lo is at or below the bucket's first hash.
        return shardIndexByRange[i >= 0 ? i : -i - 2];
    }

    /** The id of the shard that owns {@code key} (hash tags honoured). */
    public long shardIdForKey(byte[] key) {
        return shardIdForHash(KeyHash.of(key));
    }

    /** The id of the shard that owns {@code key} (hash tags honoured). */
    public long shardIdForKey(ByteString key) {
        return shardIdForHash(KeyHash.of(key));
    }

    /** The number of shards, including any that own no range. */
    public int shardCount() {
        return shardIds.length;
    }

    /** The shard id at a dense index. */
    public long shardIdAt(int index) {
        return shardIds[index];
    }

    /** The dense index of a shard id, or -1 when the shard is not in this lookup. */
    public int indexOfShard(long shardId) {
        int i = Arrays.binarySearch(shardIds, shardId);
        return i >= 0 ? i : -1;
    }

    /** The number of ranges after adjacent ranges of one shard were merged. */
    public int rangeCount() {
        return flippedStarts.length;
    }

    private static ShardLookup build(long[] ids, List<OwnedRange> ranges) {
        if (ids.length == 0) {
            throw new InvalidClusterMapException("the map has no shards: the hash ring is not covered");
        }
        long[] sortedIds = ids.clone();
        Arrays.sort(sortedIds);
        for (int i = 0; i < sortedIds.length; i++) {
            if (sortedIds[i] == 0) {
                throw new InvalidClusterMapException("shard id 0 is not allowed (ids are 1 or more)");
            }
            if (i > 0 && sortedIds[i] == sortedIds[i - 1]) {
                throw new InvalidClusterMapException("shard id " + sortedIds[i] + " appears more than once");
            }
        }
        int count = ranges.size();
        long[] flippedStarts = new long[count];
        long[] rangeOwners = new long[count];
        for (int i = 0; i < count; i++) {
            OwnedRange r = ranges.get(i);
            if (r.end != 0 && Long.compareUnsigned(r.start, r.end) >= 0) {
                throw new InvalidClusterMapException("shard " + r.shardId + " has an empty or inverted range "
                        + HashRanges.format(r.start, r.end));
            }
            flippedStarts[i] = r.start ^ Long.MIN_VALUE;
            rangeOwners[i] = r.shardId;
        }
        int[] order = SortOrder.of(flippedStarts, rangeOwners);
        List<OwnedRange> sorted = new ArrayList<>(count);
        for (int i : order) {
            sorted.add(ranges.get(i));
        }
        checkCoverage(sorted);

        long[] starts = new long[count];
        int[] owners = new int[count];
        int n = 0;
        long previousShard = 0;
        for (OwnedRange r : sorted) {
            if (n > 0 && r.shardId == previousShard) {
                continue; // adjacent arc of the same shard: one entry serves both
            }
            starts[n] = r.start ^ Long.MIN_VALUE;
            owners[n] = Arrays.binarySearch(sortedIds, r.shardId);
            previousShard = r.shardId;
            n++;
        }
        return new ShardLookup(Arrays.copyOf(starts, n), Arrays.copyOf(owners, n), sortedIds);
    }

    /** Ranges sorted by start must chain 0 → end → ... → 2^64 with no gap and no overlap. */
    private static void checkCoverage(List<OwnedRange> sorted) {
        if (sorted.isEmpty()) {
            throw new InvalidClusterMapException("no shard owns any range: the hash ring is not covered");
        }
        long cursor = 0; // every hash below cursor is covered (unsigned)
        OwnedRange previous = null;
        for (OwnedRange r : sorted) {
            if (previous != null && previous.end == 0) {
                throw new InvalidClusterMapException("ranges overlap: shard " + previous.shardId + " owns "
                        + HashRanges.format(previous.start, previous.end) + " and shard " + r.shardId + " owns "
                        + HashRanges.format(r.start, r.end));
            }
            int cmp = Long.compareUnsigned(r.start, cursor);
            if (cmp > 0) {
                throw new InvalidClusterMapException("no shard owns " + HashRanges.format(cursor, r.start)
                        + " (a gap in the ring" + (previous == null ? "" : ", after shard " + previous.shardId
                        + "'s " + HashRanges.format(previous.start, previous.end)) + ")");
            }
            if (cmp < 0) {
                throw new InvalidClusterMapException("ranges overlap: shard " + previous.shardId + " owns "
                        + HashRanges.format(previous.start, previous.end) + " and shard " + r.shardId + " owns "
                        + HashRanges.format(r.start, r.end));
            }
            cursor = r.end;
            previous = r;
        }
        if (previous.end != 0) {
            throw new InvalidClusterMapException("no shard owns " + HashRanges.format(previous.end, 0)
                    + " (a gap at the top of the ring, after shard " + previous.shardId + ")");
        }
    }

    private record OwnedRange(long start, long end, long shardId) {}
}
