package io.kvstore.ring;

import io.kvstore.proto.v1.HashRange;

/**
 * An arc of the hash ring whose owner changes from {@code fromShard} to {@code toShard} between two rings
 * (see {@link ShardRing#transfers}). Immutable.
 *
 * @param range the arc, {@code [start, end)} with {@code end = 0} meaning 2^64
 * @param fromShard the shard that owns the arc before
 * @param toShard the shard that owns it after
 */
public record RangeTransfer(HashRange range, long fromShard, long toShard) {

    @Override
    public String toString() {
        return HashRanges.format(range) + " shard " + fromShard + " -> " + toShard;
    }
}
