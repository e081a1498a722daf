package io.kvstore.bench.scaling;

import io.kvstore.bench.load.BenchTarget;
import io.kvstore.bench.load.KeyLoader;
import io.kvstore.bench.load.KeySpace;
import java.io.PrintStream;
import java.time.Duration;

/** Writing every key before a measurement, with one second try. */
final class Loading {
  private Loading() {}

  /**
   * {@link KeyLoader#load} (every key once; it refuses a load where any put failed), and when that failed,
   * says so on {@code log} and loads every key once more; the second failure is thrown. On the shared,
   * saturated 2-core machine a few puts among many can run past their deadline while the cluster starts.
   */
  static void loadOrRetryOnce(BenchTarget target, KeySpace keys, int inFlight, Duration timeout, long seed,
      PrintStream log) throws InterruptedException {
    try {
      KeyLoader.load(target, keys, inFlight, timeout, seed);
    } catch (IllegalStateException e) {
      log.println("  loading failed, loading again: " + e.getMessage());
      KeyLoader.load(target, keys, inFlight, timeout, seed + 1);
    }
  }
}
