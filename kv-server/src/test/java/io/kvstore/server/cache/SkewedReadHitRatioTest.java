package io.kvstore.server.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.server.statemachine.StoredValue;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * The cache's effect on a skewed read load: with room for a tenth of the keys, a Zipfian load (s = 1.1,
 * as in YCSB's hot-set workloads) is mostly served from memory, a uniform one is not. Seeded, so the
 * figures are reproducible; they are printed.
 */
class SkewedReadHitRatioTest {
  private static final int KEYS = 10_000;
  private static final int READS = 200_000;
  private static final ByteString VALUE = ByteString.copyFrom(new byte[100]);

  @Test
  void aZipfianLoadIsMostlyServedFromTheCache() {
    double zipf = hitRatio(zipfian(new SplittableRandom(42), KEYS, 1.1));
    SplittableRandom uniform = new SplittableRandom(42);
    double flat = hitRatio(() -> uniform.nextInt(KEYS));
    System.out.printf("hot-value cache, %d keys, room for ~%d: hit ratio zipfian(1.1) %.3f, uniform %.3f%n",
        KEYS, KEYS / 10, zipf, flat);
    assertThat(zipf).isGreaterThan(0.6);
    assertThat(flat).isLessThan(0.2);
  }

  private static double hitRatio(IntSupplier keys) {
    // Each entry weighs about key + value + 64 bytes of overhead (StoredValue.weight()).
    HotValueCache cache = new HotValueCache((KEYS / 10) * (8 + VALUE.size() + 64));
    AtomicLong loads = new AtomicLong();
    for (int i = 0; i < READS; i++) {
      int k = keys.getAsInt();
      cache.get(1, ByteString.copyFromUtf8(String.format("k%07d", k)), key -> {
        loads.incrementAndGet();
        return new StoredValue(VALUE, k + 1, k + 1);
      });
    }
    assertThat(loads.get()).isEqualTo(cache.misses());
    return cache.hitRatio();
  }

  /** Ranks 0..n-1 with P(rank r) proportional to 1 / (r + 1)^s, by inverse CDF. */
  private static IntSupplier zipfian(SplittableRandom random, int n, double s) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int r = 0; r < n; r++) {
      sum += 1 / Math.pow(r + 1, s);
      cdf[r] = sum;
    }
    double total = sum;
    return () -> {
      int i = Arrays.binarySearch(cdf, random.nextDouble() * total);
      return Math.min(n - 1, i >= 0 ? i : -i - 1);
    };
  }
}
