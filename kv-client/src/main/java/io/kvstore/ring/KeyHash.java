package io.kvstore.ring;

import com.google.protobuf.ByteString;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The position of a key on the hash ring, exactly as {@code kvstore/v1/cluster.proto} defines it:
 * <ol>
 *   <li>The hash input is the key, unless the key holds a hash tag: the bytes between the first
 *       <code>'&#123;'</code> and the first <code>'&#125;'</code> after it, when that span is non-empty.
 *       <code>"user:&#123;42&#125;:name"</code> hashes <code>"42"</code>; <code>"&#123;&#125;x"</code> and
 *       <code>"x&#123;"</code> hash the whole key (the rule of Redis Cluster).</li>
 *   <li>The hash is {@link Xxh64 XXH64} of the input with seed 0, read as an unsigned 64-bit number.</li>
 * </ol>
 * Every router (the server, this client, any other-language client) must compute exactly this, so that a
 * key lands on the same shard whoever routes it.
 *
 * <p>Stateless and thread-safe. The {@code byte[]} form allocates nothing.
 */
public final class KeyHash {

    private static final byte OPEN = '{';
    private static final byte CLOSE = '}';
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long OPEN_WORD = LOW_BITS * OPEN;
    private static final long CLOSE_WORD = LOW_BITS * CLOSE;

    private static final VarHandle LONG_LE_ARRAY =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE_BUFFER =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private KeyHash() {}

    /** The ring position (unsigned) of {@code key}. */
    public static long of(byte[] key) {
        int open = indexOf(key, OPEN_WORD, 0);
        if (open >= 0) {
            int close = indexOf(key, CLOSE_WORD, open + 1);
            if (close > open + 1) {
                return Xxh64.hash(key, open + 1, close - open - 1, 0L);
            }
        }
        return Xxh64.hash(key, 0, key.length, 0L);
    }

    /**
     * The ring position (unsigned) of {@code key}. Reads the bytes in place when the string is flat (not a
     * rope); the read-only buffer view it reads through costs about 56 bytes of short-lived garbage per call
     * (measured with JMH {@code -prof gc}), which the {@code byte[]} form avoids.
     */
    public static long of(ByteString key) {
        ByteBuffer view = key.asReadOnlyByteBuffer();
        // The view may start at a non-zero position in a shared backing array; all indexes are absolute.
        int from = view.position();
        int to = view.limit();
        int open = indexOf(view, OPEN_WORD, from, to);
        if (open >= 0) {
            int close = indexOf(view, CLOSE_WORD, open + 1, to);
            if (close > open + 1) {
                from = open + 1;
                to = close;
            }
        }
        return Xxh64.hash(view, from, to - from, 0L);
    }

    /** The ring position (unsigned) of the UTF-8 bytes of {@code key}. A convenience: it allocates. */
    public static long of(String key) {
        return of(key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The hash input of {@code key}: its hash tag when it has a non-empty one, else the whole key. Two keys
     * with equal hash inputs always land in the same shard.
     */
    public static ByteString hashInput(ByteString key) {
        int open = indexOf(key, OPEN, 0);
        if (open >= 0) {
            int close = indexOf(key, CLOSE, open + 1);
            if (close > open + 1) {
                return key.substring(open + 1, close);
            }
        }
        return key;
    }

    /**
     * Whether every key that starts with {@code prefix} hashes as {@code prefix} itself does, i.e. lands in
     * one shard: true when the prefix already holds a complete, non-empty hash tag (the key's first
     * <code>'&#123;'</code> and the first <code>'&#125;'</code> after it are then the prefix's own).
     * {@code "job:{7}:"} is such a prefix; {@code "job:{7"}, {@code "job:"} and {@code "{}x"} are not.
     */
    public static boolean fixesShard(ByteString prefix) {
        int open = indexOf(prefix, OPEN, 0);
        return open >= 0 && indexOf(prefix, CLOSE, open + 1) > open + 1;
    }

    /**
     * The first index at or after {@code from} holding the byte repeated in {@code pattern}, or -1. Eight
     * bytes at a time: in {@code x = word ^ pattern} a matching byte is zero, and {@code (x - 0x01..) & ~x &
     * 0x80..} sets the top bit of the lowest zero byte (higher bytes may be marked falsely, never lower ones),
     * so the lowest set bit names the first match in little-endian order.
     */
    private static int indexOf(byte[] bytes, long pattern, int from) {
        int i = from;
        for (; i + 8 <= bytes.length; i += 8) {
            long x = (long) LONG_LE_ARRAY.get(bytes, i) ^ pattern;
            long found = (x - LOW_BITS) & ~x & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        byte b = (byte) pattern;
        for (; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** As {@link #indexOf(byte[], long, int)}, over {@code buffer[from, to)} (absolute indexes). */
    private static int indexOf(ByteBuffer buffer, long pattern, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long x = (long) LONG_LE_BUFFER.get(buffer, i) ^ pattern;
            long found = (x - LOW_BITS) & ~x & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        byte b = (byte) pattern;
        for (; i < to; i++) {
            if (buffer.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(ByteString bytes, byte b, int from) {
        int size = bytes.size();
        for (int i = from; i < size; i++) {
            if (bytes.byteAt(i) == b) {
                return i;
            }
        }
        return -1;
    }
}
