package io.kvstore.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ZipfianKeysTest {
  private static final int SAMPLES = 400_000;

  /** The probability of the ranks [0, top) under Zipf's law, computed directly from its definition. */
  private static double expectedShare(int n, double theta, int top) {
    return ZipfianKeys.zeta(top, theta) / ZipfianKeys.zeta(n, theta);
  }

  @ParameterizedTest(name = "n={0}, theta={1}")
  @CsvSource({"1000, 0.99", "10000, 0.99", "10000, 0.8", "100000, 0.5"})
  void hottestRanksAndTopShareFollowZipfsLaw(int n, double theta) {
    ZipfianKeys zipf = new ZipfianKeys(n, theta);
    SplittableRandom random = new SplittableRandom(7);
    long[] counts = new long[n];
    for (int i = 0; i < SAMPLES; i++) {
      counts[zipf.nextRank(random)]++;
    }
    // Ranks 0 and 1 are sampled exactly (Gray et al.): their frequencies match 1/zeta and 2^-theta/zeta.
    double zetaN = ZipfianKeys.zeta(n, theta);
    assertThat(counts[0] / (double) SAMPLES).isCloseTo(1 / zetaN, within(0.005));
    assertThat(counts[1] / (double) SAMPLES).isCloseTo(Math.pow(2, -theta) / zetaN, within(0.005));
    // The tail is approximated: the share of the hottest 1% and 10% of keys is within 2 points of the law.
    for (int top : new int[] {n / 100, n / 10}) {
      long hits = 0;
      for (int r = 0; r < top; r++) {
        hits += counts[r];
      }
      assertThat(hits / (double) SAMPLES)
          .as("share of the top %d of %d ranks", top, n)
          .isCloseTo(expectedShare(n, theta, top), within(0.02));
    }
    // Skewed, not flat: the hottest key is drawn far more often than a key of median rank.
    assertThat(counts[0]).isGreaterThan(20 * Math.max(1, counts[n / 2]));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 10, 997, 1000, 4096, 10_000})
  void rankToKeyIsABijection(int n) {
    ZipfianKeys zipf = new ZipfianKeys(n, 0.99);
    BitSet seen = new BitSet(n);
    for (int r = 0; r < n; r++) {
      int k = zipf.keyOfRank(r);
      assertThat(k).isBetween(0, n - 1);
      seen.set(k);
    }
    assertThat(seen.cardinality()).isEqualTo(n);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 50})
  void everyDrawIsAValidKey(int n) {
    ZipfianKeys zipf = new ZipfianKeys(n, 0.99);
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 10_000; i++) {
      assertThat(zipf.next(random)).isBetween(0, n - 1);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 10_000})
  void uniformKeysAreFlat(int n) {
    UniformKeys uniform = new UniformKeys(n);
    SplittableRandom random = new SplittableRandom(11);
    long[] counts = new long[n];
    int samples = n * 100;
    for (int i = 0; i < samples; i++) {
      counts[uniform.next(random)]++;
    }
    // Pearson's chi-square over n-1 degrees of freedom: mean n-1, sd sqrt(2(n-1)); 6 sd is far out.
    double expected = samples / (double) n;
    double chi2 = 0;
    for (long c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    assertThat(chi2).isLessThan(n - 1 + 6 * Math.sqrt(2.0 * (n - 1)));
  }
}
