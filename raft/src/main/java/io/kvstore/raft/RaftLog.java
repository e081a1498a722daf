package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * The log as the core sees it: what is durable ({@link LogStorage}) overlaid with what is not yet
 * ({@code unstable}: a snapshot to install and entries to append, handed to the driver by the next Ready).
 *
 * <p>Invariants: {@code applied <= committed <= lastIndex()}; {@code firstIndex() - 1 <= applied} once a
 * snapshot is installed; unstable entries are contiguous from {@code unstableOffset}, and when
 * {@code unstableOffset <= storage.lastIndex()} the stored entries from that index on are superseded (the
 * driver deletes them when it persists).
 */
final class RaftLog {
  private final LogStorage storage;
  /** A snapshot received from the leader, not yet installed by the driver. */
  private SnapshotMetadata unstableSnapshot;
  /** Index of {@code unstableEntries.get(0)} (or of the next entry to append when empty). */
  private long unstableOffset;
  private final ArrayList<Entry> unstableEntries = new ArrayList<>(0);
  long committed;
  long applied;

  RaftLog(LogStorage storage, long committed, long applied) {
    this.storage = storage;
    this.unstableOffset = storage.lastIndex() + 1;
    this.committed = committed;
    this.applied = applied;
  }

  LogStorage storage() {
    return storage;
  }

  long firstIndex() {
    if (unstableSnapshot != null) {
      return unstableSnapshot.getIndex() + 1;
    }
    return storage.firstIndex();
  }

  long lastIndex() {
    if (!unstableEntries.isEmpty()) {
      return unstableOffset + unstableEntries.size() - 1;
    }
    if (unstableSnapshot != null) {
      return unstableSnapshot.getIndex();
    }
    return storage.lastIndex();
  }

  /** The last index already durable (the driver persisted it and called advance). */
  long stableLastIndex() {
    if (unstableSnapshot != null) {
      return 0; // nothing after the pending install is usable yet
    }
    return Math.min(storage.lastIndex(), unstableOffset - 1);
  }

  long lastTerm() {
    return termOrZero(lastIndex());
  }

  /** The term at {@code index}, or 0 when the index is compacted away or beyond the log. */
  long termOrZero(long index) {
    if (unstableSnapshot != null && index == unstableSnapshot.getIndex()) {
      return unstableSnapshot.getTerm();
    }
    long last = lastIndex();
    if (index > last || index < firstIndex() - 1 || index < 0) {
      return 0;
    }
    if (index >= unstableOffset && !unstableEntries.isEmpty()) {
      return unstableEntries.get((int) (index - unstableOffset)).getTerm();
    }
    if (unstableSnapshot != null) {
      return 0;
    }
    if (index == 0) {
      return 0;
    }
    try {
      return storage.term(index);
    } catch (CompactedException | UnavailableException e) {
      return 0;
    }
  }

  boolean matchTerm(long index, long term) {
    if (index == 0 && term == 0) {
      return firstIndex() <= 1 && unstableSnapshot == null;
    }
    return term != 0 && termOrZero(index) == term;
  }

  /** Raft §5.4.1: is a log ending at (lastTerm, lastIndex) at least as up to date as ours? */
  boolean isUpToDate(long lastIndex, long lastTerm) {
    long myTerm = lastTerm();
    return lastTerm > myTerm || (lastTerm == myTerm && lastIndex >= lastIndex());
  }

  /**
   * Entries {@code [lo, hi)}, at most {@code maxBytes} (at least one).
   *
   * @throws CompactedException when {@code lo < firstIndex()}: the caller needs a snapshot
   * @throws UnavailableException when storage cannot serve the range now
   */
  List<Entry> entries(long lo, long hi, long maxBytes) {
    if (lo >= hi) {
      return List.of();
    }
    if (lo < firstIndex()) {
      throw new CompactedException("index " + lo + " is compacted (first " + firstIndex() + ")");
    }
    hi = Math.min(hi, lastIndex() + 1);
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    if (lo < unstableOffset) {
      long storedHi = Math.min(hi, unstableOffset);
      List<Entry> stored = storage.entries(lo, storedHi, maxBytes);
      for (Entry e : stored) {
        out.add(e);
        bytes += e.getSerializedSize();
      }
      if (stored.size() < storedHi - lo || bytes >= maxBytes) {
        return out;
      }
      lo = storedHi;
    }
    for (long i = lo; i < hi; i++) {
      Entry e = unstableEntries.get((int) (i - unstableOffset));
      bytes += e.getSerializedSize();
      if (!out.isEmpty() && bytes > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  /** Appends entries starting at {@code entries.get(0).getIndex()}, dropping any later ones we hold. */
  void append(List<Entry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long first = entries.get(0).getIndex();
    if (first == unstableOffset + unstableEntries.size()) {
      unstableEntries.addAll(entries);
    } else if (first <= unstableOffset) {
      // Replaces unstable entries and supersedes stored ones from `first` on.
      unstableOffset = first;
      unstableEntries.clear();
      unstableEntries.addAll(entries);
    } else {
      int keep = (int) (first - unstableOffset);
      unstableEntries.subList(keep, unstableEntries.size()).clear();
      unstableEntries.addAll(entries);
    }
  }

  /**
   * The index of the last entry at or before {@code index} whose term is at most {@code term} (the fast
   * backtracking hint of Raft §5.3), and that entry's term. Stops at the snapshot boundary.
   */
  long[] findConflictByTerm(long index, long term) {
    long i = Math.min(index, lastIndex());
    long stop = firstIndex() - 1;
    while (i > stop) {
      long t = termOrZero(i);
      if (t <= term) {
        return new long[] {i, t};
      }
      i--;
    }
    return new long[] {i, termOrZero(i)};
  }

  void commitTo(long index) {
    if (index > committed) {
      if (index > lastIndex()) {
        throw new IllegalStateException("commit " + index + " beyond last index " + lastIndex());
      }
      committed = index;
    }
  }

  /** Highest index whose committed entry may be handed to the application now (durable locally). */
  long maxApplicable() {
    return Math.min(committed, stableLastIndex());
  }

  boolean hasCommittedToApply() {
    return maxApplicable() > applied;
  }

  List<Entry> committedToApply(long maxBytes) {
    long hi = maxApplicable();
    if (hi <= applied) {
      return List.of();
    }
    return entries(applied + 1, hi + 1, maxBytes);
  }

  /** The follower received a complete snapshot: the log becomes empty after it, pending installation. */
  void restore(SnapshotMetadata snapshot) {
    unstableSnapshot = snapshot;
    unstableEntries.clear();
    unstableOffset = snapshot.getIndex() + 1;
    committed = snapshot.getIndex();
  }

  SnapshotMetadata unstableSnapshot() {
    return unstableSnapshot;
  }

  List<Entry> unstableEntries() {
    return unstableEntries;
  }

  /** The latest snapshot a leader can send: the stored one (an unstable one is never sent). */
  SnapshotMetadata snapshotMetadata() {
    return unstableSnapshot != null ? unstableSnapshot : storage.snapshotMetadata();
  }

  /** The driver persisted everything the last Ready handed out. */
  void stableAll() {
    if (unstableSnapshot != null) {
      applied = Math.max(applied, unstableSnapshot.getIndex());
      unstableSnapshot = null;
    }
    unstableOffset += unstableEntries.size();
    unstableEntries.clear();
    unstableEntries.trimToSize();
  }

  void appliedTo(long index) {
    if (index > applied) {
      applied = index;
    }
  }
}
