package io.kvstore.bench.coordination;

import java.time.Duration;

/**
 * The clock of one measurement: a warm-up, then the measured window; an operation counts when it
 * <em>started</em> inside the window (so the window's length is the divisor of every rate).
 */
record Window(long startNanos, long warmupEndsNanos, long endsNanos) {

  static Window startingNow(Duration warmup, Duration measured) {
    long now = System.nanoTime();
    return new Window(now, now + warmup.toNanos(), now + warmup.toNanos() + measured.toNanos());
  }

  /** True when an operation started at {@code nanos} is measured. */
  boolean measures(long nanos) {
    return nanos >= warmupEndsNanos && nanos < endsNanos;
  }

  boolean over() {
    return System.nanoTime() >= endsNanos;
  }

  double measuredSeconds() {
    return (endsNanos - warmupEndsNanos) / 1e9;
  }

  /** Sleeps until the window is over. */
  void awaitEnd() throws InterruptedException {
    long left;
    while ((left = endsNanos - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, Math.min(100, left / 1_000_000)));
    }
  }
}
