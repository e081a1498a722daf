package io.kvstore.bench.load;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The keys and values of a run, made once before it so that issuing a request allocates no key or value:
 * keys are {@code "user"} and a zero-padded index (YCSB's naming), values are random, incompressible bytes
 * taken from a small pool.
 */
public final class KeySpace {
  private static final int VALUE_POOL = 64;

  private final ByteString[] keys;
  private final ByteString[] values;
  private final int valueSize;

  public KeySpace(int keyCount, int valueSize, long seed) {
    if (keyCount < 1) {
      throw new IllegalArgumentException("key count must be at least 1, got " + keyCount);
    }
    if (valueSize < 0) {
      throw new IllegalArgumentException("value size must not be negative, got " + valueSize);
    }
    this.valueSize = valueSize;
    int width = Math.max(10, Integer.toString(keyCount - 1).length());
    String format = "user%0" + width + "d";
    keys = new ByteString[keyCount];
    for (int i = 0; i < keyCount; i++) {
      keys[i] = ByteString.copyFrom(String.format(format, i), StandardCharsets.US_ASCII);
    }
    SplittableRandom random = new SplittableRandom(seed);
    values = new ByteString[VALUE_POOL];
    for (int i = 0; i < VALUE_POOL; i++) {
      byte[] bytes = new byte[valueSize];
      random.nextBytes(bytes);
      values[i] = ByteString.copyFrom(bytes);
    }
  }

  public int keyCount() {
    return keys.length;
  }

  public int valueSize() {
    return valueSize;
  }

  public ByteString key(int index) {
    return keys[index];
  }

  /** One of the pool's values, picked with the caller's random source. */
  public ByteString value(SplittableRandom random) {
    return values[random.nextInt(VALUE_POOL)];
  }
}
