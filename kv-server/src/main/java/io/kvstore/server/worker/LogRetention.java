package io.kvstore.server.worker;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of Raft log a node holds that its groups applied but did not compact yet, against a budget
 * of about half a log memtable, so that a node with many busy groups compacts each of them sooner.
 *
 * <p>Why: a compaction deletes a group's applied entries with one range deletion, and a memtable flush
 * drops what a range deletion covers, so an entry deleted while it is still in the memtable costs no
 * flush and no compaction. With one busy group, compacting every {@code snapshotEntries} entries keeps the
 * log inside the memtable; with 64, the same per-group threshold kept 64 times as much log alive, every
 * entry was flushed, then compacted by RocksDB once or twice more before its deletion caught up (RocksDB's
 * background threads went from 2 to 14 µs of CPU per write). With the budget, a group compacts early when
 * the node is over it and the group holds at least its share ({@link #compactEarly}); how many groups are
 * busy needs no counting, since idle groups hold little.
 *
 * <p>Thread-safe: a node's worker loops share one. The accounting is approximate (entries a node had
 * before a restart are not counted until their group compacts), which only moves when compactions happen.
 */
public final class LogRetention {
  /** Fewer applied entries than this are never compacted early: each compaction is a store write. */
  static final long MIN_ENTRIES = 64;

  private final long budgetBytes;
  private final AtomicLong retained = new AtomicLong();
  private final AtomicInteger groups = new AtomicInteger();

  /** @param budgetBytes above this many retained bytes, groups holding more than their share compact */
  public LogRetention(long budgetBytes) {
    if (budgetBytes < 1) {
      throw new IllegalArgumentException("budgetBytes must be positive: " + budgetBytes);
    }
    this.budgetBytes = budgetBytes;
  }

  /** The budget for a node whose log column family flushes its memtable at {@code memtableBytes}. */
  public static LogRetention forMemtable(long memtableBytes) {
    return new LogRetention(Math.max(1, memtableBytes / 2));
  }

  /** Above this many retained bytes, groups holding at least their share compact early. */
  public long compactEarlyThreshold() {
    return budgetBytes;
  }

  /** The bytes retained now, over all groups. */
  public long retainedBytes() {
    return retained.get();
  }

  /** A new group's account, empty. Close it when the group goes away. */
  Account open() {
    groups.incrementAndGet();
    return new Account();
  }

  /** One group's share of the retained bytes; used by that group's loop thread only. */
  final class Account {
    private long bytes;
    private boolean closed;

    /** Entries of this many bytes were applied. */
    void applied(long entryBytes) {
      if (!closed && entryBytes > 0) {
        bytes += entryBytes;
        retained.addAndGet(entryBytes);
      }
    }

    /** The group's log was compacted (or replaced by a snapshot) up to its applied index. */
    void compacted() {
      retained.addAndGet(-bytes);
      bytes = 0;
    }

    /**
     * Whether the group should compact before its regular threshold: the node is over budget and this
     * group holds at least the average of all groups (so the largest go first and idle ones never do),
     * and it applied at least {@link #MIN_ENTRIES} entries since it last compacted.
     */
    boolean compactEarly(long entriesSinceCompaction) {
      if (closed || entriesSinceCompaction < MIN_ENTRIES) {
        return false;
      }
      long total = retained.get();
      return total > budgetBytes && bytes >= total / Math.max(1, groups.get());
    }

    void close() {
      if (!closed) {
        closed = true;
        compacted();
        groups.decrementAndGet();
      }
    }
  }
}
