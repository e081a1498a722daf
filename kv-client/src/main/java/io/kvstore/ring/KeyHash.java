package io.kvstore.ring;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The position of a key on the hash ring, exactly as {@code kvstore/v1/cluster.proto} defines it:
 * <ol>
 *   <li>The hash input is the key, unless the key holds a hash tag: the bytes between the first {@code '{'}
 *       and the first {@code '}'} after it, when that span is non-empty. {@code "user:{42}:name"} hashes
 *       {@code "42"}; {@code "{}x"} and {@code "x{"} hash the whole key (the rule of Redis Cluster).</li>
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

    private KeyHash() {}

    /** The ring position (unsigned) of {@code key}. */
    public static long of(byte[] key) {
        int open = indexOf(key, OPEN, 0);
        if (open >= 0) {
            int close = indexOf(key, CLOSE, open + 1);
            if (close > open + 1) {
                return Xxh64.hash(key, open + 1, close - open - 1, 0L);
            }
        }
        return Xxh64.hash(key, 0, key.length, 0L);
    }

    /** The ring position (unsigned) of {@code key}. Reads the bytes in place when the string is flat. */
    public static long of(ByteString key) {
        int open = indexOf(key, OPEN, 0);
        int from = 0;
        int to = key.size();
        if (open >= 0) {
            int close = indexOf(key, CLOSE, open + 1);
            if (close > open + 1) {
                from = open + 1;
                to = close;
            }
        }
        ByteBuffer view = key.asReadOnlyByteBuffer();
        // asReadOnlyByteBuffer may start at a non-zero position in a shared backing array; index from it.
        return Xxh64.hash(view, view.position() + from, to - from, 0L);
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

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
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
