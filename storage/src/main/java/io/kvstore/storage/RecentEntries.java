package io.kvstore.storage;

import io.kvstore.raft.proto.Entry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The tail of one group's durable log kept in memory: the entries written but not yet applied. A
 * replica applies each entry right after it became durable (and a leader re-sends the newest entries to
 * a follower that missed them), so those reads are served from here instead of a RocksDB iterator and a
 * decode per entry, which a profile of the write path showed on the loop thread.
 *
 * <p>Invariant: the entries are contiguous and end at the group's last index, or there are none. Bounded
 * by {@link #MAX_ENTRIES} and {@link #MAX_BYTES}: the oldest go first (they are still in RocksDB). Not
 * thread-safe: owned by its {@link GroupStorage}.
 */
final class RecentEntries {
  static final int MAX_ENTRIES = 1024;
  static final long MAX_BYTES = 1 << 20;

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;

  /** Entries were written from {@code written.get(0).getIndex()} on; any later ones we hold are gone. */
  void appended(List<Entry> written) {
    long first = written.get(0).getIndex();
    while (!entries.isEmpty() && entries.peekLast().getIndex() >= first) {
      bytes -= entries.pollLast().getSerializedSize();
    }
    if (!entries.isEmpty() && entries.peekLast().getIndex() + 1 != first) {
      clear(); // not contiguous with what we hold: start over from the new entries
    }
    for (Entry e : written) {
      entries.addLast(e);
      bytes += e.getSerializedSize();
    }
    while (entries.size() > MAX_ENTRIES || (bytes > MAX_BYTES && entries.size() > 1)) {
      bytes -= entries.pollFirst().getSerializedSize();
    }
  }

  /** Entries up to {@code index} are applied or compacted away: forget them. */
  void dropThrough(long index) {
    while (!entries.isEmpty() && entries.peekFirst().getIndex() <= index) {
      bytes -= entries.pollFirst().getSerializedSize();
    }
  }

  void clear() {
    entries.clear();
    bytes = 0;
  }

  /** Whether entries from {@code lo} to the end of the log are all here. */
  boolean holdsFrom(long lo) {
    return !entries.isEmpty() && entries.peekFirst().getIndex() <= lo;
  }

  /**
   * Entries {@code [lo, hi)} (given {@link #holdsFrom(long) holdsFrom(lo)} and {@code hi} at most the
   * last index + 1), stopping before the one that takes the total past {@code maxBytes} (at least one),
   * as {@link GroupStorage#entries} does.
   */
  List<Entry> slice(long lo, long hi, long maxBytes) {
    List<Entry> out = new ArrayList<>((int) Math.min(hi - lo, entries.size()));
    long size = 0;
    Iterator<Entry> it = entries.iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      long i = e.getIndex();
      if (i < lo) {
        continue;
      }
      if (i >= hi) {
        break;
      }
      size += e.getSerializedSize();
      if (!out.isEmpty() && size > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  int size() {
    return entries.size();
  }
}
