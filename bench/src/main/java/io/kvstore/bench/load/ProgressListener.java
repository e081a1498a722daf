package io.kvstore.bench.load;

/**
 * Told about each second of a run, on the run's clock thread. Must return quickly: the next second's
 * accounting waits for it.
 */
@FunctionalInterface
public interface ProgressListener {
  /**
   * @param second 1-based second since the run began, warm-up included
   * @param warmup whether this second belongs to the warm-up (discarded)
   * @param ops operations completed in it
   * @param errors operations failed in it
   * @param p99Ms the p99 latency of its completions, in milliseconds
   */
  void second(String store, RunConfig config, int second, boolean warmup, long ops, long errors, double p99Ms);

  ProgressListener NONE = (store, config, second, warmup, ops, errors, p99Ms) -> {};
}
