package io.kvstore.raft;

import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LogStorage} in memory, with the writes a driver does ({@link #persist(Ready)}): for tests,
 * simulations and benchmarks, and as the reference for what a durable implementation must do. "Durable"
 * here means "survives the RawNode": a simulated crash discards the RawNode and keeps this object.
 * Single-threaded like the node that reads it.
 */
public final class MemoryStorage implements LogStorage {
  private HardState hardState = HardState.getDefaultInstance();
  private SnapshotMetadata snapshot = SnapshotMetadata.getDefaultInstance();
  /** Entries from snapshot.index + 1 on. */
  private final ArrayList<Entry> entries = new ArrayList<>();

  /** A storage for an initial member of a new group (see RawNode's bootstrap notes). */
  public static MemoryStorage bootstrap(ConfState initialMembers) {
    MemoryStorage s = new MemoryStorage();
    s.snapshot =
        SnapshotMetadata.newBuilder().setIndex(1).setTerm(1).setConfState(initialMembers).build();
    s.hardState = HardState.newBuilder().setTerm(1).setCommit(1).build();
    return s;
  }

  @Override
  public InitialState initialState() {
    return new InitialState(hardState, snapshot.getConfState());
  }

  @Override
  public List<Entry> entries(long lo, long hi, long maxBytes) {
    if (lo < firstIndex()) {
      throw new CompactedException("index " + lo + " compacted; first is " + firstIndex());
    }
    if (hi > lastIndex() + 1) {
      throw new UnavailableException("index " + (hi - 1) + " beyond last " + lastIndex());
    }
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    for (long i = lo; i < hi; i++) {
      Entry e = entries.get((int) (i - firstIndex()));
      bytes += e.getSerializedSize();
      if (!out.isEmpty() && bytes > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  @Override
  public long term(long index) {
    if (index == snapshot.getIndex()) {
      return snapshot.getTerm();
    }
    if (index < firstIndex()) {
      throw new CompactedException("index " + index + " compacted");
    }
    if (index > lastIndex()) {
      throw new UnavailableException("index " + index + " beyond last " + lastIndex());
    }
    return entries.get((int) (index - firstIndex())).getTerm();
  }

  @Override
  public long firstIndex() {
    return snapshot.getIndex() + 1;
  }

  @Override
  public long lastIndex() {
    return snapshot.getIndex() + entries.size();
  }

  @Override
  public SnapshotMetadata snapshotMetadata() {
    return snapshot;
  }

  public HardState hardState() {
    return hardState;
  }

  /** Does the persistence part of a Ready: install its snapshot, append its entries, store its state. */
  public void persist(Ready rd) {
    if (rd.snapshot() != null) {
      installSnapshot(rd.snapshot());
    }
    append(rd.entries());
    if (rd.hardState() != null) {
      hardState = rd.hardState();
    }
  }

  /**
   * Like {@link #persist}, but stores the hard state only when its term or vote changed, as a driver that
   * does not store the commit index does ({@link Ready#hardState()}).
   */
  public void persistWithoutCommitIndex(Ready rd) {
    HardState before = hardState;
    persist(rd);
    if (hardState.getTerm() == before.getTerm() && hardState.getVote() == before.getVote()) {
      hardState = hardState.toBuilder().setCommit(before.getCommit()).build();
    }
  }

  /** Replaces the log by an empty one after {@code meta} (a snapshot received from the leader). */
  public void installSnapshot(SnapshotMetadata meta) {
    snapshot = meta;
    entries.clear();
    if (hardState.getCommit() < meta.getIndex()) {
      hardState = hardState.toBuilder().setCommit(meta.getIndex()).build();
    }
  }

  /** Appends, first deleting stored entries at or after the first new one's index. */
  public void append(List<Entry> newEntries) {
    if (newEntries.isEmpty()) {
      return;
    }
    long first = newEntries.get(0).getIndex();
    if (first < firstIndex() || first > lastIndex() + 1) {
      throw new IllegalArgumentException(
          "append at " + first + " outside [" + firstIndex() + ", " + (lastIndex() + 1) + "]");
    }
    entries.subList((int) (first - firstIndex()), entries.size()).clear();
    entries.addAll(newEntries);
  }

  /**
   * The application took a snapshot described by {@code meta} (from {@link RawNode#snapshotMetadata}):
   * drop the entries it covers.
   */
  public void compact(SnapshotMetadata meta) {
    long index = meta.getIndex();
    if (index <= snapshot.getIndex()) {
      return;
    }
    if (index > lastIndex()) {
      throw new IllegalArgumentException("compact " + index + " beyond last " + lastIndex());
    }
    entries.subList(0, (int) (index - snapshot.getIndex())).clear();
    entries.trimToSize();
    snapshot = meta;
  }
}
