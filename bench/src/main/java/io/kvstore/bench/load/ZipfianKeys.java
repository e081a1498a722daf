package io.kvstore.bench.load;

import java.util.SplittableRandom;

/**
 * Zipfian key popularity: the key of rank r (0 is the most popular) is drawn with probability
 * {@code 1 / ((r + 1)^theta * zeta(n, theta))}, where {@code zeta(n, theta) = sum_{i=1..n} 1 / i^theta}.
 * YCSB's default skew is theta = 0.99: with 10,000 keys the hottest key takes about 10% of operations.
 *
 * <p>Sampling uses the closed-form inversion of Gray et al., "Quickly Generating Billion-Record Synthetic
 * Databases" (SIGMOD 1994), as YCSB does: ranks 0 and 1 are exact, the tail is an approximation of the
 * continuous distribution. It costs O(1) per draw after an O(n) computation of zeta at construction.
 *
 * <p>Ranks are then mapped to key indexes by a fixed bijection ({@code (a * rank + b) mod n} with a prime
 * to n), so the hot keys are spread over the key space instead of being the first few keys, as YCSB's
 * "scrambled" Zipfian does, without changing any key's probability.
 */
public final class ZipfianKeys implements KeyChooser {
  /** YCSB's default skew constant. */
  public static final double DEFAULT_THETA = 0.99;

  private final int keyCount;
  private final double theta;
  private final double zetaN;
  private final double alpha;
  private final double eta;
  private final double halfPowTheta;
  private final long multiplier;
  private final long offset;

  public ZipfianKeys(int keyCount, double theta) {
    if (keyCount < 1) {
      throw new IllegalArgumentException("key count must be at least 1, got " + keyCount);
    }
    if (!(theta > 0 && theta < 1)) {
      throw new IllegalArgumentException("the Zipfian constant must be in (0, 1), got " + theta);
    }
    this.keyCount = keyCount;
    this.theta = theta;
    this.zetaN = zeta(keyCount, theta);
    double zeta2 = zeta(Math.min(2, keyCount), theta);
    this.alpha = 1.0 / (1.0 - theta);
    this.eta =
        keyCount < 3 ? 0 : (1 - Math.pow(2.0 / keyCount, 1 - theta)) / (1 - zeta2 / zetaN);
    this.halfPowTheta = Math.pow(0.5, theta);
    this.multiplier = coprimeMultiplier(keyCount);
    this.offset = keyCount / 3;
  }

  /** {@code sum_{i=1..n} 1 / i^theta}: the normalising constant. */
  public static double zeta(long n, double theta) {
    double sum = 0;
    for (long i = 1; i <= n; i++) {
      sum += 1.0 / Math.pow(i, theta);
    }
    return sum;
  }

  /** Draws a popularity rank in [0, keyCount): 0 is the hottest. */
  public int nextRank(SplittableRandom random) {
    double u = random.nextDouble();
    double uz = u * zetaN;
    if (uz < 1.0 || keyCount == 1) {
      return 0;
    }
    if (uz < 1.0 + halfPowTheta || keyCount == 2) {
      return 1;
    }
    long rank = (long) (keyCount * Math.pow(eta * u - eta + 1, alpha));
    return (int) Math.min(Math.max(rank, 0), keyCount - 1);
  }

  /** The key index of a rank: a bijection of [0, keyCount). */
  public int keyOfRank(int rank) {
    return (int) ((multiplier * rank + offset) % keyCount);
  }

  @Override
  public int next(SplittableRandom random) {
    return keyOfRank(nextRank(random));
  }

  @Override
  public int keyCount() {
    return keyCount;
  }

  public double theta() {
    return theta;
  }

  @Override
  public String describe() {
    return "zipfian(" + theta + ")";
  }

  /** A large multiplier prime to n, so that {@code rank -> a * rank + b mod n} is a permutation. */
  private static long coprimeMultiplier(int n) {
    long a = 2_654_435_761L % Math.max(n, 1); // Knuth's multiplicative-hash constant, reduced
    while (a <= 1 || gcd(a, n) != 1) {
      a = (a + 1) % Math.max(n, 2);
      if (n <= 2) {
        return 1;
      }
    }
    return a;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
