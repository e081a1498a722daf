package io.kvstore.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.raft.proto.ConfChange;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.EntryType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The membership along the log (thesis §4.1: a replica uses the latest configuration in its log,
 * committed or not): the membership as of the snapshot, then the membership after each conf-change entry
 * still in the log. Truncating the log reverts to the previous membership.
 */
final class MembershipLog {
  private final RaftMetrics metrics;
  /** The membership as of the log's first index - 1 (the snapshot's). */
  private Membership base;
  /** The membership after each conf-change entry in the log, by entry index. */
  private final TreeMap<Long, Membership> history = new TreeMap<>();

  MembershipLog(ConfState base, RaftMetrics metrics) {
    this.base = Membership.of(base);
    this.metrics = metrics;
  }

  /** Replays the conf changes of the stored log (on restart). */
  void replay(LogStorage storage) {
    long lo = storage.firstIndex();
    long hi = storage.lastIndex() + 1;
    while (lo < hi) {
      List<Entry> batch = storage.entries(lo, hi, 4L << 20);
      onAppended(batch);
      lo += batch.size();
    }
  }

  Membership current() {
    return history.isEmpty() ? base : history.lastEntry().getValue();
  }

  private ConfChange parse(Entry e) {
    try {
      return ConfChange.parseFrom(e.getData());
    } catch (InvalidProtocolBufferException ex) {
      metrics.drop(DropReason.MALFORMED);
      return ConfChange.getDefaultInstance();
    }
  }

  /**
   * Entries were appended from {@code entries.get(0).getIndex()} on, replacing any later ones. Returns
   * true when the current membership may have changed.
   */
  boolean onAppended(List<Entry> entries) {
    if (entries.isEmpty()) {
      return false;
    }
    Map<Long, Membership> truncated = history.tailMap(entries.get(0).getIndex(), true);
    boolean changed = !truncated.isEmpty();
    truncated.clear();
    for (Entry e : entries) {
      if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
        history.put(e.getIndex(), current().applyUnchecked(parse(e)));
        changed = true;
      }
    }
    return changed;
  }

  /** The membership in effect right after the entry at {@code index}. */
  Membership at(long index) {
    Map.Entry<Long, Membership> e = history.floorEntry(index);
    return e == null ? base : e.getValue();
  }

  /** The index of the latest conf-change entry in the log (0: none). */
  long latestIndex() {
    return history.isEmpty() ? 0 : history.lastKey();
  }

  /** The log was compacted up to {@code snapIndex}: fold the changes it covered into the base. */
  void compacted(long snapIndex) {
    while (!history.isEmpty() && history.firstKey() <= snapIndex) {
      base = history.pollFirstEntry().getValue();
    }
  }

  /** A snapshot replaced the log: its membership is the whole story. */
  void restore(ConfState snapshotMembership) {
    history.clear();
    base = Membership.of(snapshotMembership);
  }
}
