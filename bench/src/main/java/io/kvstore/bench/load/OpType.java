package io.kvstore.bench.load;

/** The kinds of request a workload issues. Each gets its own latency histogram. */
public enum OpType {
  /** A single-key read at the run's consistency level. */
  READ,
  /** A single-key blind write (put) of a fresh value. */
  UPDATE,
  /**
   * A compare-and-swap of one key against the version the generator last saw for it (optimistic
   * concurrency); a failed comparison is an answer, not an error.
   */
  CAS
}
