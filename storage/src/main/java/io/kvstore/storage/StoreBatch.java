package io.kvstore.storage;

import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * One atomic write to the node's store, shared by many groups: the worker loop adds every group's Ready
 * (entries, hard state) and applied data to one batch and writes it with {@link NodeStore#write} and one
 * fsync (group commit). Nothing is visible, on disk or through {@link GroupStorage}, until {@code write}
 * returns; then all of it is, or (after a crash) none of it is.
 *
 * <p><b>The durability rule.</b> A client write may be acknowledged only after the batch holding its
 * entry was written with {@link Durability#SYNC} on a quorum of the group's replicas and the entry is
 * committed (Raft §5.3). Messages that depend on a Ready (append responses, votes) are sent only after
 * the batch holding that Ready was written with {@code SYNC} (Raft §5.1: persist before responding).
 *
 * <p>Methods validate against the group's durable state plus what this batch already holds, and throw
 * {@link IllegalArgumentException} / {@link IllegalStateException} on a request that would break the
 * log (a gap, overwriting a committed entry, compacting past the applied index); a group that failed
 * throws its {@link StoreException}. They do not touch the disk. Not thread-safe: build a batch on one
 * thread (the one that drives its groups). Close it (or let {@code write} consume it) to free native memory.
 */
public final class StoreBatch implements AutoCloseable {
  private final NodeStore store;
  private final Rocks rocks;
  private final WriteBatch batch = new WriteBatch();
  private final Map<Long, Pending> pending = new LinkedHashMap<>();
  private String syncRequiredBy;
  private long entries;
  private boolean consumed;

  /** What this batch will change in one group, for validation and for updating its in-memory view. */
  private static final class Pending {
    final GroupStorage group;
    long first;
    long last;
    SnapshotMetadata applied;
    boolean dropped;
    final List<Consumer<GroupStorage>> effects = new ArrayList<>();

    Pending(GroupStorage group) {
      this.group = group;
      this.first = group.rawFirstIndex();
      this.last = group.rawLastIndex();
      this.applied = group.rawApplied();
    }
  }

  StoreBatch(NodeStore store, Rocks rocks) {
    this.store = store;
    this.rocks = rocks;
  }

  /**
   * Appends entries to a group's log. Entries must have consecutive indexes starting at most one past the
   * log's last index (counting earlier appends in this batch); entries at or below the compaction point
   * are skipped, and so are copies of committed entries with the same term. Entries that overwrite
   * existing ones replace them and every entry after them (Raft §5.3: a conflicting suffix is deleted);
   * overwriting a committed entry with a different term is refused ({@link IllegalStateException}).
   */
  public StoreBatch append(long groupId, List<Entry> toAppend) {
    if (toAppend.isEmpty()) {
      return this;
    }
    Pending p = pending(groupId);
    List<Entry> kept = new ArrayList<>(toAppend.size());
    long expected = -1;
    for (Entry e : toAppend) {
      if (expected >= 0 && e.getIndex() != expected) {
        throw new IllegalArgumentException("group " + groupId + ": entries not consecutive at index "
            + e.getIndex() + " (expected " + expected + ")");
      }
      expected = e.getIndex() + 1;
      if (e.getIndex() >= p.first) {
        kept.add(e);
      }
    }
    if (!kept.isEmpty() && kept.get(0).getIndex() > p.last + 1) {
      throw new IllegalArgumentException("group " + groupId + ": append at " + kept.get(0).getIndex()
          + " would leave a hole after the last index " + p.last);
    }
    // Committed entries never change (Raft §5.4, Log Matching): a resent copy is dropped, a different
    // one is a bug upstream and is refused rather than written.
    long commit = p.group.durableCommit();
    while (!kept.isEmpty() && kept.get(0).getIndex() <= commit) {
      Entry e = kept.remove(0);
      if (p.group.term(e.getIndex()) != e.getTerm()) {
        throw new IllegalStateException("group " + groupId + ": append would overwrite committed entry "
            + e.getIndex() + " (term " + p.group.term(e.getIndex()) + ") with term " + e.getTerm()
            + " (commit " + commit + ")");
      }
    }
    if (kept.isEmpty()) {
      return this;
    }
    long first = kept.get(0).getIndex();
    long last = kept.get(kept.size() - 1).getIndex();
    try {
      for (Entry e : kept) {
        byte[] value = e.toByteArray();
        batch.put(rocks.log(), Keys.logKey(groupId, e.getIndex()), value);
      }
      if (last < p.last) {
        batch.deleteRange(rocks.log(), Keys.logKey(groupId, last + 1), Keys.logKey(groupId, p.last + 1));
      }
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("group " + groupId + ": adding entries to a batch", e);
    }
    p.last = last;
    entries += kept.size();
    p.effects.add(g -> g.appended(kept));
    return this;
  }

  /** Sets a group's hard state (term, vote, commit). The commit index may not pass the last entry. */
  public StoreBatch setHardState(long groupId, HardState hardState) {
    Pending p = pending(groupId);
    if (hardState.getCommit() > p.last) {
      throw new IllegalArgumentException("group " + groupId + ": commit " + hardState.getCommit()
          + " beyond the last index " + p.last);
    }
    put(rocks.state(), Keys.stateKey(groupId, Keys.TAG_HARD_STATE), hardState.toByteArray(), groupId);
    p.effects.add(g -> g.hardStateWritten(hardState));
    return this;
  }

  /**
   * Sets the membership stored with the applied index (it travels with the shard's snapshots). Optional:
   * {@link NodeStore#compactAndSnapshot} sets it from the core's {@code snapshotMetadata(index)}.
   */
  public StoreBatch setConfState(long groupId, ConfState confState) {
    Pending p = pending(groupId);
    p.applied = p.applied.toBuilder().setConfState(confState).build();
    writeApplied(groupId, p);
    return this;
  }

  /**
   * Records that the shard's data now reflects every entry up to {@code index} (whose term is
   * {@code term}). Put it in the same batch as the data changes of those entries: they are then kept or
   * lost together. The applied index never goes back.
   */
  public StoreBatch setApplied(long shardId, long index, long term) {
    Pending p = pending(shardId);
    if (index < p.applied.getIndex()) {
      throw new IllegalArgumentException("shard " + shardId + ": applied index would go back from "
          + p.applied.getIndex() + " to " + index);
    }
    if (index > p.last) {
      throw new IllegalArgumentException("shard " + shardId + ": applied index " + index
          + " beyond the last index " + p.last);
    }
    p.applied = p.applied.toBuilder().setIndex(index).setTerm(term).build();
    writeApplied(shardId, p);
    return this;
  }

  /** Puts a user key of a shard. */
  public StoreBatch put(long shardId, byte[] key, byte[] value) {
    pending(shardId);
    put(rocks.data(), Keys.dataKey(shardId, Keys.NS_USER, key), value, shardId);
    return this;
  }

  /** Deletes a user key of a shard (no error when absent). */
  public StoreBatch delete(long shardId, byte[] key) {
    pending(shardId);
    delete(Keys.dataKey(shardId, Keys.NS_USER, key), shardId);
    return this;
  }

  /** Puts a shard system record (e.g. kv-server's exactly-once table); part of the shard's snapshots. */
  public StoreBatch putSystem(long shardId, byte[] key, byte[] value) {
    pending(shardId);
    put(rocks.data(), Keys.dataKey(shardId, Keys.NS_SYSTEM, key), value, shardId);
    return this;
  }

  /** Deletes a shard system record. */
  public StoreBatch deleteSystem(long shardId, byte[] key) {
    pending(shardId);
    delete(Keys.dataKey(shardId, Keys.NS_SYSTEM, key), shardId);
    return this;
  }

  /**
   * Discards a group's log up to and including {@code point.getIndex()} with one range deletion (Raft §7)
   * and records {@code point} as the log's compaction point ({@link GroupStorage#snapshotMetadata()}).
   * Pass the Raft core's {@code RawNode.snapshotMetadata(index)}: the term and the membership as of that
   * index, which the core reads back as its base membership. The index must be at most the applied index
   * (as of this batch) and the term must be the entry's. Requires {@link Durability#SYNC}: the applied
   * state it depends on must be on disk before the entries it replaces are gone. Compacting at or below
   * the current compaction point does nothing.
   */
  public StoreBatch compactLog(long groupId, SnapshotMetadata point) {
    Pending p = pending(groupId);
    long index = point.getIndex();
    if (index < p.first) {
      return this;
    }
    if (index > p.applied.getIndex()) {
      throw new IllegalArgumentException("group " + groupId + ": cannot compact to " + index
          + " past the applied index " + p.applied.getIndex());
    }
    long term = index == p.applied.getIndex() ? p.applied.getTerm() : p.group.term(index);
    if (point.getTerm() != term) {
      throw new IllegalArgumentException("group " + groupId + ": compaction point " + index + " has term "
          + point.getTerm() + " but the entry's term is " + term);
    }
    put(rocks.state(), Keys.stateKey(groupId, Keys.TAG_LOG_SNAPSHOT), point.toByteArray(), groupId);
    try {
      batch.deleteRange(rocks.log(), Keys.logKey(groupId, 0), Keys.logKey(groupId, index + 1));
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("group " + groupId + ": adding a log compaction to a batch", e);
    }
    p.first = index + 1;
    requireSync("log compaction of group " + groupId);
    p.effects.add(g -> g.compacted(point));
    return this;
  }

  /**
   * Creates a group on one of its initial members, as the Raft core expects (see {@code RawNode}): a
   * compaction point at index 1, term 1 with the initial membership, hard state (term 1, commit 1), and
   * an empty shard applied up to index 1. Refused if the group already has state on this node. A node
   * that joins an existing group writes nothing: it starts empty and receives a snapshot.
   */
  public StoreBatch bootstrap(long groupId, ConfState initialMembers) {
    Pending p = pending(groupId);
    if (p.group.exists() || p.last > 0 || p.applied.getIndex() > 0) {
      throw new IllegalStateException("group " + groupId + " already has state on this node");
    }
    SnapshotMetadata point = SnapshotMetadata.newBuilder().setIndex(1).setTerm(1)
        .setConfState(initialMembers).build();
    HardState hs = HardState.newBuilder().setTerm(1).setCommit(1).build();
    put(rocks.state(), Keys.stateKey(groupId, Keys.TAG_LOG_SNAPSHOT), point.toByteArray(), groupId);
    put(rocks.state(), Keys.stateKey(groupId, Keys.TAG_HARD_STATE), hs.toByteArray(), groupId);
    p.first = 2;
    p.last = 1;
    p.applied = point;
    writeApplied(groupId, p);
    requireSync("bootstrap of group " + groupId);
    p.effects.add(g -> g.resetTo(point, hs));
    return this;
  }

  /**
   * Removes everything this node holds for a group (its replica was removed): log, state, applied state
   * and the shard's data, each with one range deletion. Requires {@link Durability#SYNC}. Nothing more
   * may be added for that group in this batch.
   */
  public StoreBatch dropGroup(long groupId) {
    Pending p = pending(groupId);
    try {
      batch.deleteRange(rocks.log(), Keys.logKey(groupId, 0), Keys.logEnd(groupId));
      batch.deleteRange(rocks.state(), Keys.stateKey(groupId, (byte) 0), Keys.stateKey(groupId, (byte) 0xFF));
      batch.deleteRange(rocks.data(), Keys.shardStart(groupId), Keys.shardEnd(groupId));
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("group " + groupId + ": adding its removal to a batch", e);
    }
    p.dropped = true;
    requireSync("removal of group " + groupId);
    return this;
  }

  /** Number of log entries added so far. */
  public long entryCount() {
    return entries;
  }

  /** Number of records (puts, deletes, range deletions) added so far. */
  public long recordCount() {
    return batch.count();
  }

  /** Number of groups this batch touches. */
  public int groupCount() {
    return pending.size();
  }

  /** True when nothing was added. */
  public boolean isEmpty() {
    return batch.count() == 0;
  }

  /** Serialized size of the batch in bytes. */
  public long sizeBytes() {
    return batch.getDataSize();
  }

  @Override
  public void close() {
    consumed = true;
    batch.close();
  }

  // ---- for NodeStore ----

  WriteBatch rocksBatch() {
    return batch;
  }

  String syncRequiredBy() {
    return syncRequiredBy;
  }

  /** Marks the batch used; throws if it already was. */
  void consume() {
    if (consumed) {
      throw new IllegalStateException("a StoreBatch is written once; create a new one");
    }
    consumed = true;
  }

  /** Updates the in-memory view of every group this batch touched; called after the write succeeded. */
  void publish() {
    for (Map.Entry<Long, Pending> e : pending.entrySet()) {
      Pending p = e.getValue();
      if (p.dropped) {
        store.forgetGroup(e.getKey());
        p.group.dropped();
        continue;
      }
      p.group.markPresent();
      for (Consumer<GroupStorage> effect : p.effects) {
        effect.accept(p.group);
      }
    }
  }

  // ---- helpers ----

  private Pending pending(long groupId) {
    checkOpen();
    Pending p = pending.get(groupId);
    if (p == null) {
      GroupStorage g = store.group(groupId);
      g.checkHealthy(); // never write into a group whose log cannot be read
      p = new Pending(g);
      pending.put(groupId, p);
      if (!g.exists()) {
        put(rocks.state(), Keys.stateKey(groupId, Keys.TAG_PRESENT), new byte[0], groupId);
      }
    } else if (p.dropped) {
      throw new IllegalStateException("group " + groupId + " was dropped earlier in this batch");
    }
    return p;
  }

  private void writeApplied(long groupId, Pending p) {
    SnapshotMetadata state = p.applied;
    put(rocks.data(), Keys.appliedKey(groupId), state.toByteArray(), groupId);
    p.effects.add(g -> g.appliedWritten(state));
  }

  private void put(ColumnFamilyHandle cf, byte[] key, byte[] value, long groupId) {
    try {
      batch.put(cf, key, value);
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("group " + groupId + ": adding a record to a batch", e);
    }
  }

  private void delete(byte[] key, long groupId) {
    try {
      batch.delete(rocks.data(), key);
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("group " + groupId + ": adding a deletion to a batch", e);
    }
  }

  private void requireSync(String why) {
    if (syncRequiredBy == null) {
      syncRequiredBy = why;
    }
  }

  private void checkOpen() {
    if (consumed) {
      throw new IllegalStateException("this StoreBatch was already written or closed");
    }
  }
}
