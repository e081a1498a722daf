package io.kvstore.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * XXH64, the 64-bit xxHash of Yann Collet, written from the public specification
 * (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md).
 *
 * <p>The result is a 64-bit value to be read as unsigned (use {@link Long#toUnsignedString(long)} or
 * {@link Long#compareUnsigned(long, long)}). The input is read as little-endian words, as the spec requires,
 * whatever the platform's byte order.
 *
 * <p>Stateless and thread-safe; the methods allocate nothing.
 */
public final class Xxh64 {

    private static final long PRIME1 = 0x9E3779B185EBCA87L;
    private static final long PRIME2 = 0xC2B2AE3D27D4EB4FL;
    private static final long PRIME3 = 0x165667B19E3779F9L;
    private static final long PRIME4 = 0x85EBCA77C2B2AE63L;
    private static final long PRIME5 = 0x27D4EB2F165667C5L;

    /** Bytes consumed per iteration of the main loop: four 8-byte lanes. */
    private static final int STRIPE = 32;

    private static final VarHandle LONG_LE_ARRAY =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE_ARRAY =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE_BUFFER =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE_BUFFER =
            MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private Xxh64() {}

    /** XXH64 of all of {@code data} with seed 0. */
    public static long hash(byte[] data) {
        return hash(data, 0, data.length, 0L);
    }

    /** XXH64 of {@code data[offset, offset + length)} with the given seed. */
    public static long hash(byte[] data, int offset, int length, long seed) {
        Objects.checkFromIndexSize(offset, length, data.length);
        int p = offset;
        int end = offset + length;
        long h;
        if (length >= STRIPE) {
            long v1 = seed + PRIME1 + PRIME2;
            long v2 = seed + PRIME2;
            long v3 = seed;
            long v4 = seed - PRIME1;
            int limit = end - STRIPE;
            do {
                v1 = round(v1, (long) LONG_LE_ARRAY.get(data, p));
                v2 = round(v2, (long) LONG_LE_ARRAY.get(data, p + 8));
                v3 = round(v3, (long) LONG_LE_ARRAY.get(data, p + 16));
                v4 = round(v4, (long) LONG_LE_ARRAY.get(data, p + 24));
                p += STRIPE;
            } while (p <= limit);
            h = converge(v1, v2, v3, v4);
        } else {
            h = seed + PRIME5;
        }
        h += length;
        for (; p + 8 <= end; p += 8) {
            h = mixLong(h, (long) LONG_LE_ARRAY.get(data, p));
        }
        if (p + 4 <= end) {
            h = mixInt(h, (int) INT_LE_ARRAY.get(data, p));
            p += 4;
        }
        for (; p < end; p++) {
            h = mixByte(h, data[p]);
        }
        return avalanche(h);
    }

    /**
     * XXH64 of {@code buffer[offset, offset + length)} (absolute indexes) with the given seed. The buffer's
     * position, limit and byte order are neither used nor changed. Works on heap and direct buffers.
     */
    public static long hash(ByteBuffer buffer, int offset, int length, long seed) {
        Objects.checkFromIndexSize(offset, length, buffer.limit());
        int p = offset;
        int end = offset + length;
        long h;
        if (length >= STRIPE) {
            long v1 = seed + PRIME1 + PRIME2;
            long v2 = seed + PRIME2;
            long v3 = seed;
            long v4 = seed - PRIME1;
            int limit = end - STRIPE;
            do {
                v1 = round(v1, (long) LONG_LE_BUFFER.get(buffer, p));
                v2 = round(v2, (long) LONG_LE_BUFFER.get(buffer, p + 8));
                v3 = round(v3, (long) LONG_LE_BUFFER.get(buffer, p + 16));
                v4 = round(v4, (long) LONG_LE_BUFFER.get(buffer, p + 24));
                p += STRIPE;
            } while (p <= limit);
            h = converge(v1, v2, v3, v4);
        } else {
            h = seed + PRIME5;
        }
        h += length;
        for (; p + 8 <= end; p += 8) {
            h = mixLong(h, (long) LONG_LE_BUFFER.get(buffer, p));
        }
        if (p + 4 <= end) {
            h = mixInt(h, (int) INT_LE_BUFFER.get(buffer, p));
            p += 4;
        }
        for (; p < end; p++) {
            h = mixByte(h, buffer.get(p));
        }
        return avalanche(h);
    }

    /**
     * XXH64 of one 64-bit value written as 8 little-endian bytes, with seed 0: equal to
     * {@code hash(bytes)} of those 8 bytes, without an array.
     */
    public static long hashLong(long value) {
        return avalanche(mixLong(PRIME5 + 8, value));
    }

    /**
     * XXH64 of a tag byte followed by two 64-bit values as little-endian bytes (17 bytes), seed 0. Equal to
     * {@code hash(bytes)} of those 17 bytes; used to place virtual nodes without allocating.
     */
    static long hashTagged(byte tag, long first, long second) {
        // 17 bytes < 32: no stripes. Two 8-byte words, then one trailing byte; but the tag comes first, so
        // the words start at offset 1. Assemble them from the shifted values.
        long word1 = (tag & 0xFFL) | (first << 8);
        long word2 = (first >>> 56) | (second << 8);
        byte last = (byte) (second >>> 56);
        long h = PRIME5 + 17;
        h = mixLong(h, word1);
        h = mixLong(h, word2);
        h = mixByte(h, last);
        return avalanche(h);
    }

    private static long round(long acc, long lane) {
        acc += lane * PRIME2;
        acc = Long.rotateLeft(acc, 31);
        return acc * PRIME1;
    }

    private static long mergeRound(long h, long v) {
        h ^= round(0, v);
        return h * PRIME1 + PRIME4;
    }

    private static long converge(long v1, long v2, long v3, long v4) {
        long h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12)
                + Long.rotateLeft(v4, 18);
        h = mergeRound(h, v1);
        h = mergeRound(h, v2);
        h = mergeRound(h, v3);
        return mergeRound(h, v4);
    }

    private static long mixLong(long h, long word) {
        h ^= round(0, word);
        return Long.rotateLeft(h, 27) * PRIME1 + PRIME4;
    }

    private static long mixInt(long h, int word) {
        h ^= (word & 0xFFFFFFFFL) * PRIME1;
        return Long.rotateLeft(h, 23) * PRIME2 + PRIME3;
    }

    private static long mixByte(long h, byte b) {
        h ^= (b & 0xFFL) * PRIME5;
        return Long.rotateLeft(h, 11) * PRIME1;
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= PRIME2;
        h ^= h >>> 29;
        h *= PRIME3;
        h ^= h >>> 32;
        return h;
    }
}
