package io.kvstore.ring;

import io.kvstore.proto.v1.HashRange;

/**
 * Small helpers for {@link HashRange}s, the half-open arcs {@code [start, end)} of the unsigned 64-bit hash
 * ring where {@code end = 0} means 2^64.
 *
 * <p>Stateless and thread-safe.
 */
public final class HashRanges {

    private HashRanges() {}

    /** The range {@code [start, end)}; {@code end = 0} means 2^64. */
    public static HashRange of(long start, long end) {
        return HashRange.newBuilder().setStart(start).setEnd(end).build();
    }

    /** Whether the range holds the (unsigned) hash. */
    public static boolean contains(HashRange range, long hash) {
        return Long.compareUnsigned(hash, range.getStart()) >= 0
                && (range.getEnd() == 0 || Long.compareUnsigned(hash, range.getEnd()) < 0);
    }

    /** Whether the range holds no hash: {@code start >= end} with {@code end != 0}. */
    public static boolean isEmpty(HashRange range) {
        return range.getEnd() != 0 && Long.compareUnsigned(range.getStart(), range.getEnd()) >= 0;
    }

    /** The number of hashes in the range, as a fraction of 2^64 (1.0 for the whole ring). */
    public static double fractionOfRing(HashRange range) {
        return isEmpty(range) ? 0.0 : width(range.getStart(), range.getEnd()) / 0x1p64;
    }

    /** The number of hashes in the non-empty range {@code [start, end)} (end 0 = 2^64), as a double. */
    static double width(long start, long end) {
        // end - start wraps correctly for end = 0 except when start = 0 too (the whole ring).
        long w = end - start;
        if (w == 0) {
            return 0x1p64;
        }
        return w >= 0 ? (double) w : (double) (w >>> 1) * 2.0 + (w & 1);
    }

    /** {@code [start, end)} with the bounds in hex; {@code end = 0} printed as {@code 2^64}. */
    public static String format(HashRange range) {
        return format(range.getStart(), range.getEnd());
    }

    /** {@code [start, end)} with the bounds in hex; {@code end = 0} printed as {@code 2^64}. */
    public static String format(long start, long end) {
        return "[" + hex(start) + ", " + (end == 0 ? "2^64" : hex(end)) + ")";
    }

    /** A hash in hex, zero-padded to 16 digits. */
    public static String hex(long value) {
        return String.format("0x%016x", value);
    }
}
