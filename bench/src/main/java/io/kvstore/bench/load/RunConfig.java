package io.kvstore.bench.load;

import java.time.Duration;

/**
 * One configuration of a run: what to issue, how much at once, for how long. The store is not part of it,
 * so that the same configuration runs unchanged against every store.
 *
 * @param inFlight requests outstanding at every moment (a closed loop: each completion issues the next)
 * @param warmup issued and then discarded, whole seconds
 * @param duration measured, whole seconds, after the warm-up
 */
public record RunConfig(
    Workload workload,
    ReadConsistency consistency,
    int inFlight,
    Duration warmup,
    Duration duration,
    long seed) {

  /** Longest warm-up or measured phase: every run is bounded. */
  public static final Duration MAX_PHASE = Duration.ofHours(1);

  public RunConfig {
    if (inFlight < 1 || inFlight > 100_000) {
      throw new IllegalArgumentException("in-flight must be 1 to 100000, got " + inFlight);
    }
    if (warmup.isNegative() || warmup.compareTo(MAX_PHASE) > 0 || warmup.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("warm-up must be whole seconds from 0 to 1 h, got " + warmup);
    }
    if (duration.toSeconds() < 1 || duration.compareTo(MAX_PHASE) > 0 || duration.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("duration must be whole seconds from 1 s to 1 h, got " + duration);
    }
  }

  /** A short label for tables and charts: "W if=128". */
  public String label() {
    return workload.name() + " if=" + inFlight;
  }
}
