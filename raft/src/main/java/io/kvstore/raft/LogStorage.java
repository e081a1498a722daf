package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.List;

/**
 * A read-only view of one Raft group's durable log, as the core needs it. Writing is the driver's job:
 * it persists what a {@code Ready} hands it, and only then tells the core ({@code advance}).
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>Called only from the thread that drives the group (the core is not thread-safe); must not block
 *       on the network. Reads from a local store (RocksDB, memory) are expected.</li>
 *   <li>Indexes are 1-based. The log holds entries {@code [firstIndex(), lastIndex()]}; entries up to
 *       {@code firstIndex() - 1} were compacted into the snapshot whose metadata {@link #snapshotMetadata()}
 *       returns. An empty log after a snapshot at index {@code s} has {@code firstIndex() == s + 1} and
 *       {@code lastIndex() == s}.</li>
 *   <li>Reads outside the kept range throw {@link CompactedException} (below {@code firstIndex()}) or
 *       {@link UnavailableException} (above {@code lastIndex()}); an I/O failure throws
 *       {@link StorageException}, which the driver treats as fatal for the group (it stops serving it:
 *       never apply from a log it cannot read).</li>
 * </ul>
 */
public interface LogStorage {

  /** The hard state and membership persisted last, as they were when the group was last running. */
  InitialState initialState();

  /**
   * Entries with indexes in {@code [lo, hi)}, stopping early once their total serialized size exceeds
   * {@code maxBytes} (at least one entry is always returned when {@code lo < hi}).
   */
  List<Entry> entries(long lo, long hi, long maxBytes);

  /** The term of the entry at {@code index}; for {@code firstIndex() - 1} the snapshot's term. */
  long term(long index);

  /** The index of the first entry still in the log (one past the latest snapshot). */
  long firstIndex();

  /** The index of the last entry in the log (the snapshot's index when the log is empty). */
  long lastIndex();

  /** The metadata of the latest snapshot (index 0 and term 0 when there is none). */
  SnapshotMetadata snapshotMetadata();
}
