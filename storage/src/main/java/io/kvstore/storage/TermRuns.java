package io.kvstore.storage;

import java.util.Arrays;

/**
 * The terms of a contiguous range of log indexes {@code [first(), last()]}, kept as runs of equal terms.
 * A term changes only when a new leader appends, so a whole log usually needs a handful of runs: this is
 * what lets {@code term(i)} (called by the Raft core for every append it sends or receives) avoid RocksDB.
 * Not thread-safe: owned by the group's thread.
 */
final class TermRuns {
  /** Runs beyond this many are dropped from the front (the oldest indexes then read from RocksDB). */
  private static final int MAX_RUNS = 1024;

  private long[] starts = new long[4];
  private long[] terms = new long[4];
  private int size;
  private long last;

  boolean isEmpty() {
    return size == 0;
  }

  long first() {
    return starts[0];
  }

  long last() {
    return last;
  }

  boolean covers(long index) {
    return size > 0 && index >= starts[0] && index <= last;
  }

  long term(long index) {
    if (!covers(index)) {
      throw new IllegalArgumentException("index " + index + " not covered");
    }
    int lo = 0;
    int hi = size - 1;
    while (lo < hi) { // the last run whose start <= index
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return terms[lo];
  }

  /**
   * Records {@code term} at {@code index}, which must be {@code last() + 1}; otherwise (a gap or an
   * overwrite the caller did not truncate first) the runs restart at {@code index}.
   */
  void append(long index, long term) {
    if (size > 0 && index != last + 1) {
      if (index <= last && index > starts[0]) {
        truncateFrom(index);
      } else {
        clear();
      }
    }
    if (size > 0 && terms[size - 1] == term) {
      last = index;
      return;
    }
    if (size == starts.length) {
      if (size >= MAX_RUNS) {
        dropRuns(size / 2);
      } else {
        starts = Arrays.copyOf(starts, size * 2);
        terms = Arrays.copyOf(terms, size * 2);
      }
    }
    starts[size] = index;
    terms[size] = term;
    size++;
    last = index;
  }

  /** Forgets {@code index} and everything after it. */
  void truncateFrom(long index) {
    if (size == 0 || index > last) {
      return;
    }
    if (index <= starts[0]) {
      clear();
      return;
    }
    while (size > 0 && starts[size - 1] >= index) {
      size--;
    }
    last = index - 1;
  }

  /** Forgets everything before {@code index}. */
  void dropBefore(long index) {
    if (size == 0 || index <= starts[0]) {
      return;
    }
    if (index > last) {
      clear();
      return;
    }
    int keepFrom = 0;
    while (keepFrom + 1 < size && starts[keepFrom + 1] <= index) {
      keepFrom++;
    }
    dropRuns(keepFrom);
    starts[0] = index;
  }

  void clear() {
    size = 0;
    last = 0;
  }

  private void dropRuns(int n) {
    System.arraycopy(starts, n, starts, 0, size - n);
    System.arraycopy(terms, n, terms, 0, size - n);
    size -= n;
  }
}
