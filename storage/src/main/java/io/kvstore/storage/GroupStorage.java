package io.kvstore.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.raft.CompactedException;
import io.kvstore.raft.InitialState;
import io.kvstore.raft.LogStorage;
import io.kvstore.raft.UnavailableException;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * One Raft group's durable state on this node: its log (the {@link LogStorage} view the Raft core reads),
 * hard state, log compaction point, and the applied index and membership of its shard.
 *
 * <p>Get it from {@link NodeStore#group}; change it only through a {@link StoreBatch} written with
 * {@link NodeStore#write}. Every getter reflects exactly the writes that {@code write} has returned from
 * (the in-memory view is updated only after RocksDB accepted the batch), so the Raft core never sees an
 * entry that is not on disk.
 *
 * <p>Threading: not thread-safe. Call it from the one thread that drives the group (the same thread that
 * writes batches touching it). The last index and the terms of the log are kept in memory, so
 * {@link #term}, {@link #lastIndex} and {@link #firstIndex} do not touch RocksDB for recent entries;
 * {@link #entries} serves the entries not yet applied from memory ({@link RecentEntries}) and reads
 * older ones from RocksDB.
 *
 * <p>Failures: a record that cannot be read or decoded, or a log with a hole, makes the group
 * <em>failed</em>: this and every later call throws {@link StoreException} naming the cause
 * ({@link io.kvstore.raft.StorageException} for the core), so the driver stops serving the group and never
 * applies from a log it cannot read.
 */
public final class GroupStorage implements LogStorage {
  private static final SnapshotMetadata NO_SNAPSHOT = SnapshotMetadata.getDefaultInstance();
  /** How many of the last entries' terms are read into memory when a group is loaded. */
  private static final int PRIMED_TERMS = 256;

  private final long groupId;
  private final Rocks rocks;
  private HardState hardState;
  /** The log's compaction point: entries up to its index are gone (Raft §7). */
  private SnapshotMetadata logSnapshot;
  /** The shard's applied index, the term of that entry, and the membership as of it. */
  private SnapshotMetadata applied;
  private long lastIndex;
  private boolean present;
  private final TermRuns terms = new TermRuns();
  private final RecentEntries recent = new RecentEntries();
  private StoreException failure;

  private GroupStorage(long groupId, Rocks rocks) {
    this.groupId = groupId;
    this.rocks = rocks;
  }

  /** Reads the group's state from RocksDB; a group never written comes back empty. */
  static GroupStorage load(long groupId, Rocks rocks) {
    GroupStorage g = new GroupStorage(groupId, rocks);
    try {
      g.present = rocks.db().get(rocks.state(), Keys.stateKey(groupId, Keys.TAG_PRESENT)) != null;
      byte[] hs = rocks.db().get(rocks.state(), Keys.stateKey(groupId, Keys.TAG_HARD_STATE));
      g.hardState = hs == null ? HardState.getDefaultInstance() : HardState.parseFrom(hs);
      byte[] snap = rocks.db().get(rocks.state(), Keys.stateKey(groupId, Keys.TAG_LOG_SNAPSHOT));
      g.logSnapshot = snap == null ? NO_SNAPSHOT : SnapshotMetadata.parseFrom(snap);
      byte[] app = rocks.db().get(rocks.data(), Keys.appliedKey(groupId));
      g.applied = app == null ? NO_SNAPSHOT : SnapshotMetadata.parseFrom(app);
      if (rocks.db().get(rocks.state(), Keys.stateKey(groupId, Keys.TAG_INSTALLING)) != null) {
        throw g.corruption("a snapshot install was interrupted and could not be finished (its staged file"
            + " is gone); re-create this replica");
      }
      g.loadLogBounds();
      g.checkInvariants();
    } catch (RocksDBException e) {
      g.failure = RocksErrors.wrap("group " + groupId + ": reading its state", e);
    } catch (InvalidProtocolBufferException e) {
      g.failure = new StoreException(StoreException.Reason.CORRUPTION,
          "group " + groupId + ": undecodable state record", e);
    } catch (StoreException e) {
      g.failure = e;
    }
    if (g.failure != null) {
      g.hardState = g.hardState == null ? HardState.getDefaultInstance() : g.hardState;
      g.logSnapshot = g.logSnapshot == null ? NO_SNAPSHOT : g.logSnapshot;
      g.applied = g.applied == null ? NO_SNAPSHOT : g.applied;
    }
    return g;
  }

  private void loadLogBounds() throws InvalidProtocolBufferException {
    try (ReadOptions ro = new ReadOptions();
        Slice lower = new Slice(Keys.logKey(groupId, 0));
        Slice upper = new Slice(Keys.logEnd(groupId))) {
      ro.setIterateLowerBound(lower).setIterateUpperBound(upper);
      try (RocksIterator it = rocks.db().newIterator(rocks.log(), ro)) {
        it.seekToLast();
        if (!it.isValid()) {
          checkIterator(it);
          lastIndex = logSnapshot.getIndex();
          return;
        }
        lastIndex = Keys.logIndex(it.key());
        Entry last = Entry.parseFrom(it.value());
        if (last.getIndex() != lastIndex) {
          throw corruption("entry stored at index " + lastIndex + " says index " + last.getIndex());
        }
        it.seekToFirst();
        long first = Keys.logIndex(it.key());
        if (first != logSnapshot.getIndex() + 1) {
          throw corruption("log starts at " + first + " but the compaction point is "
              + logSnapshot.getIndex() + " (hole or stale entries)");
        }
        // Prime the term cache with the tail of the log: the core asks for recent terms first.
        long from = Math.max(first, lastIndex - PRIMED_TERMS + 1);
        long expected = from;
        for (it.seek(Keys.logKey(groupId, from)); it.isValid(); it.next()) {
          long index = Keys.logIndex(it.key());
          if (index != expected) {
            throw corruption("hole in the log: expected entry " + expected + ", found " + index);
          }
          terms.append(index, Entry.parseFrom(it.value()).getTerm());
          expected++;
        }
        checkIterator(it);
        if (terms.last() != last.getIndex() || terms.term(lastIndex) != last.getTerm()) {
          throw corruption("the log changed while it was being loaded");
        }
      }
    }
  }

  private void checkInvariants() {
    if (lastIndex < logSnapshot.getIndex()) {
      throw corruption("last index " + lastIndex + " below the compaction point " + logSnapshot.getIndex());
    }
    if (hardState.getCommit() > lastIndex) {
      throw corruption("commit index " + hardState.getCommit() + " beyond the last log entry " + lastIndex);
    }
    if (applied.getIndex() > lastIndex) {
      throw corruption("applied index " + applied.getIndex() + " beyond the last log entry " + lastIndex);
    }
  }

  public long groupId() {
    return groupId;
  }

  /** True once anything was written for this group on this node (and it was not dropped). */
  public boolean exists() {
    return present;
  }

  /** The cause this group stopped being served, or null while it is healthy. */
  public StoreException failure() {
    return failure;
  }

  @Override
  public InitialState initialState() {
    checkHealthy();
    // The membership as of the compaction point: the core replays the configuration changes in the log
    // after it (it uses the latest membership in its log, thesis §4.1).
    return new InitialState(hardState, logSnapshot.getConfState());
  }

  /** The durable hard state (term, vote, commit). */
  public HardState hardState() {
    checkHealthy();
    return hardState;
  }

  /** The index of the last entry applied to the shard's data (0: none). */
  public long appliedIndex() {
    checkHealthy();
    return applied.getIndex();
  }

  /** The term of the entry at {@link #appliedIndex()}. */
  public long appliedTerm() {
    checkHealthy();
    return applied.getTerm();
  }

  /** The membership stored with the applied index (see {@link StoreBatch#setConfState}). */
  public ConfState confState() {
    checkHealthy();
    return applied.getConfState();
  }

  /** The applied index, its term and the membership, as one record. */
  public SnapshotMetadata appliedState() {
    checkHealthy();
    return applied;
  }

  @Override
  public List<Entry> entries(long lo, long hi, long maxBytes) {
    checkHealthy();
    if (lo < firstIndex()) {
      throw new CompactedException("group " + groupId + ": entry " + lo + " compacted (first index "
          + firstIndex() + ")");
    }
    if (hi > lastIndex + 1) {
      throw new UnavailableException("group " + groupId + ": entries up to " + (hi - 1)
          + " requested, last index " + lastIndex);
    }
    if (lo >= hi) {
      return new ArrayList<>();
    }
    if (recent.holdsFrom(lo)) {
      return recent.slice(lo, hi, maxBytes);
    }
    List<Entry> out = new ArrayList<>();
    long size = 0;
    try (ReadOptions ro = new ReadOptions();
        Slice upper = new Slice(Keys.logKey(groupId, hi))) {
      ro.setIterateUpperBound(upper);
      try (RocksIterator it = rocks.db().newIterator(rocks.log(), ro)) {
        long expected = lo;
        for (it.seek(Keys.logKey(groupId, lo)); it.isValid(); it.next()) {
          Entry e = Entry.parseFrom(it.value());
          if (Keys.logIndex(it.key()) != expected || e.getIndex() != expected) {
            throw fail(corruption("hole in the log: expected entry " + expected + ", found key "
                + Keys.logIndex(it.key()) + " holding entry " + e.getIndex()));
          }
          size += e.getSerializedSize();
          if (!out.isEmpty() && size > maxBytes) {
            return out;
          }
          out.add(e);
          expected++;
        }
        checkIterator(it);
        if (expected != hi) {
          throw fail(corruption("hole in the log: entries " + expected + ".." + (hi - 1) + " missing"));
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw fail(new StoreException(StoreException.Reason.CORRUPTION,
          "group " + groupId + ": undecodable log entry", e));
    }
    return out;
  }

  @Override
  public long term(long index) {
    checkHealthy();
    if (index == logSnapshot.getIndex()) {
      return logSnapshot.getTerm();
    }
    if (index < logSnapshot.getIndex()) {
      throw new CompactedException("group " + groupId + ": term of " + index + " compacted (first index "
          + firstIndex() + ")");
    }
    if (index > lastIndex) {
      throw new UnavailableException("group " + groupId + ": term of " + index + " requested, last index "
          + lastIndex);
    }
    if (terms.covers(index)) {
      return terms.term(index);
    }
    try {
      byte[] v = rocks.db().get(rocks.log(), Keys.logKey(groupId, index));
      if (v == null) {
        throw fail(corruption("hole in the log: entry " + index + " missing"));
      }
      Entry e = Entry.parseFrom(v);
      if (e.getIndex() != index) {
        throw fail(corruption("entry stored at index " + index + " says index " + e.getIndex()));
      }
      return e.getTerm();
    } catch (RocksDBException e) {
      throw fail(RocksErrors.wrap("group " + groupId + ": reading entry " + index, e));
    } catch (InvalidProtocolBufferException e) {
      throw fail(new StoreException(StoreException.Reason.CORRUPTION,
          "group " + groupId + ": undecodable log entry " + index, e));
    }
  }

  @Override
  public long firstIndex() {
    checkHealthy();
    return logSnapshot.getIndex() + 1;
  }

  @Override
  public long lastIndex() {
    checkHealthy();
    return lastIndex;
  }

  @Override
  public SnapshotMetadata snapshotMetadata() {
    checkHealthy();
    return logSnapshot;
  }

  // ---- updates, called by NodeStore only after the batch holding them was written ----

  /** The group was dropped: this object is stale (a new one comes from {@link NodeStore#group}). */
  void dropped() {
    failure = new StoreException(StoreException.Reason.FAILED, "group " + groupId
        + " was dropped from this node; get a fresh view from NodeStore.group");
  }

  void markPresent() {
    present = true;
  }

  void appended(List<Entry> entries) {
    long first = entries.get(0).getIndex();
    terms.truncateFrom(first);
    for (Entry e : entries) {
      terms.append(e.getIndex(), e.getTerm());
    }
    lastIndex = entries.get(entries.size() - 1).getIndex();
    recent.appended(entries);
  }

  void hardStateWritten(HardState hs) {
    hardState = hs;
  }

  void appliedWritten(SnapshotMetadata state) {
    applied = state;
    recent.dropThrough(state.getIndex());
  }

  void compacted(SnapshotMetadata point) {
    logSnapshot = point;
    terms.dropBefore(point.getIndex() + 1);
    recent.dropThrough(point.getIndex());
  }

  /** After a snapshot install: the log is empty and starts after the snapshot. */
  void resetTo(SnapshotMetadata snapshot, HardState hs) {
    logSnapshot = snapshot;
    applied = snapshot;
    hardState = hs;
    lastIndex = snapshot.getIndex();
    terms.clear();
    recent.clear();
    present = true;
  }

  /** Whether the log holds an entry at {@code index} with {@code term}, reading as little as possible. */
  boolean matches(long index, long term) {
    if (index < logSnapshot.getIndex() || index > lastIndex) {
      return false;
    }
    return term(index) == term;
  }

  /**
   * The highest index known committed from what is stored: the stored commit index or the applied index
   * (only committed entries are applied; drivers may store the commit index lazily).
   */
  long durableCommit() {
    return Math.max(hardState.getCommit(), applied.getIndex());
  }

  long rawLastIndex() {
    return lastIndex;
  }

  long rawFirstIndex() {
    return logSnapshot.getIndex() + 1;
  }

  SnapshotMetadata rawApplied() {
    return applied;
  }

  SnapshotMetadata rawLogSnapshot() {
    return logSnapshot;
  }

  void checkHealthy() {
    if (failure != null) {
      throw failure;
    }
  }

  StoreException fail(StoreException e) {
    if (failure == null) {
      failure = e;
    }
    return e;
  }

  private StoreException corruption(String what) {
    return new StoreException(StoreException.Reason.CORRUPTION, "group " + groupId + ": " + what);
  }

  private void checkIterator(RocksIterator it) {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw fail(RocksErrors.wrap("group " + groupId + ": reading the log", e));
    }
  }
}
