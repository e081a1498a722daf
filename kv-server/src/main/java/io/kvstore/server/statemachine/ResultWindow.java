package io.kvstore.server.statemachine;

import java.util.NoSuchElementException;

/**
 * One exactly-once session's kept results by sequence number, lowest first ({@link SessionTable}): a
 * sorted ring of two arrays. A client's next write has a sequence above every kept one, so the usual
 * insert goes at the end and the usual eviction takes the first, each O(1) over contiguous memory; an
 * out-of-order sequence (writes of one client applied in another order than their sequences) is placed
 * by binary search and shifts the later ones. A tree did the same with a node per result and a cache miss
 * per level: with a window of 1,024 results per client and shard, the table of a node with 64 shards no
 * longer fit the caches, and its tree operations were 3% of the node's CPU under write load.
 *
 * <p>Not thread-safe: used by the thread that applies the shard.
 */
final class ResultWindow {
  private long[] sequences = new long[8];
  private byte[][] results = new byte[8][];
  /** Physical slot of the lowest sequence; the capacity is a power of two. */
  private int head;
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The lowest sequence kept. */
  long firstSequence() {
    requireNonEmpty();
    return sequences[head];
  }

  /** The highest sequence kept. */
  long lastSequence() {
    requireNonEmpty();
    return sequences[slot(size - 1)];
  }

  /** The {@code i}-th lowest sequence kept, {@code 0 <= i < size()}. */
  long sequenceAt(int i) {
    return sequences[slot(i)];
  }

  /** The result of the {@code i}-th lowest sequence kept. */
  byte[] resultAt(int i) {
    return results[slot(i)];
  }

  /** The result kept for {@code sequence}, or null. */
  byte[] get(long sequence) {
    int i = find(sequence);
    return i >= 0 ? results[slot(i)] : null;
  }

  /** Keeps {@code result} for {@code sequence}, replacing the one kept for it if any. */
  void put(long sequence, byte[] result) {
    if (size > 0 && sequence <= lastSequence()) {
      int i = find(sequence);
      if (i >= 0) {
        results[slot(i)] = result;
        return;
      }
      insertAt(-i - 1, sequence, result);
      return;
    }
    grow();
    int s = slot(size);
    sequences[s] = sequence;
    results[s] = result;
    size++;
  }

  /** Forgets the lowest sequence kept and returns it. */
  long removeFirst() {
    requireNonEmpty();
    long sequence = sequences[head];
    results[head] = null;
    head = (head + 1) & (sequences.length - 1);
    size--;
    return sequence;
  }

  private void insertAt(int index, long sequence, byte[] result) {
    grow();
    for (int i = size; i > index; i--) {
      int to = slot(i);
      int from = slot(i - 1);
      sequences[to] = sequences[from];
      results[to] = results[from];
    }
    int s = slot(index);
    sequences[s] = sequence;
    results[s] = result;
    size++;
  }

  /** The logical index of {@code sequence}, or {@code -(insertion point) - 1} (as Arrays.binarySearch). */
  private int find(long sequence) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long at = sequences[slot(mid)];
      if (at < sequence) {
        lo = mid + 1;
      } else if (at > sequence) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  private int slot(int i) {
    return (head + i) & (sequences.length - 1);
  }

  private void grow() {
    if (size < sequences.length) {
      return;
    }
    long[] s = new long[sequences.length * 2];
    byte[][] r = new byte[sequences.length * 2][];
    for (int i = 0; i < size; i++) {
      s[i] = sequences[slot(i)];
      r[i] = results[slot(i)];
    }
    sequences = s;
    results = r;
    head = 0;
  }

  private void requireNonEmpty() {
    if (size == 0) {
      throw new NoSuchElementException("no result kept");
    }
  }
}
