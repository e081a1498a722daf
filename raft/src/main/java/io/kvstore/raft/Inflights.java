package io.kvstore.raft;

/**
 * Append messages in flight to one follower (flow control by count and bytes): a FIFO of the last index
 * and the byte size of each unacknowledged append. The buffer is allocated on first use and released when
 * it empties, so an idle follower costs nothing here.
 */
final class Inflights {
  private final int capacity;
  private final long maxBytes;
  private long[] lastIndexes;
  private long[] sizes;
  private int start;
  private int count;
  private long bytes;

  Inflights(int capacity, long maxBytes) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  boolean full() {
    return count >= capacity || (maxBytes > 0 && bytes >= maxBytes);
  }

  int count() {
    return count;
  }

  void add(long lastIndex, long size) {
    if (lastIndexes == null) {
      int n = Math.min(capacity, 8);
      lastIndexes = new long[n];
      sizes = new long[n];
    } else if (count == lastIndexes.length) {
      grow();
    }
    int slot = (start + count) % lastIndexes.length;
    lastIndexes[slot] = lastIndex;
    sizes[slot] = size;
    count++;
    bytes += size;
  }

  private void grow() {
    int n = Math.min(capacity, lastIndexes.length * 2);
    long[] li = new long[n];
    long[] sz = new long[n];
    for (int i = 0; i < count; i++) {
      li[i] = lastIndexes[(start + i) % lastIndexes.length];
      sz[i] = sizes[(start + i) % lastIndexes.length];
    }
    lastIndexes = li;
    sizes = sz;
    start = 0;
  }

  /** Frees every in-flight append whose last index is at or below {@code index} (it was acknowledged). */
  void freeLe(long index) {
    while (count > 0 && lastIndexes[start] <= index) {
      bytes -= sizes[start];
      start = (start + 1) % lastIndexes.length;
      count--;
    }
    if (count == 0) {
      reset();
    }
  }

  void reset() {
    lastIndexes = null;
    sizes = null;
    start = 0;
    count = 0;
    bytes = 0;
  }
}
