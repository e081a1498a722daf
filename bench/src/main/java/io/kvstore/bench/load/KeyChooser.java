package io.kvstore.bench.load;

import java.util.SplittableRandom;

/**
 * Picks the index of the key an operation touches, in [0, keyCount). Implementations are immutable and
 * thread-safe: all state is in the caller's random source, so each in-flight slot draws from its own.
 */
public interface KeyChooser {
  int next(SplittableRandom random);

  int keyCount();

  /** A short name for reports: "uniform" or "zipfian(0.99)". */
  String describe();
}
