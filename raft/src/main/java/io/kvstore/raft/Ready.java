package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.List;

/**
 * One batch of work the core hands its driver (etcd-io/raft's {@code Ready}, with raft-rs's persisted
 * messages). Readies are numbered; the driver handles one at a time, in this order:
 *
 * <ol>
 *   <li><b>Send {@link #messages()}</b> at once (they do not depend on this Ready's persistence; a leader
 *       sends its appends while it writes the same entries itself, Raft thesis §10.2.1).</li>
 *   <li><b>Stage {@link #snapshotChunks()}</b>, in order: write each chunk's {@code data} at its
 *       {@code offset} into a staging area for the snapshot named by its metadata (index, term). A chunk at
 *       offset 0 starts a new staging area and discards any other. The staging area belongs to this
 *       {@code RawNode} instance: discard it when the node is recreated (after a restart the core expects
 *       offset 0 again).</li>
 *   <li><b>Persist, atomically, with a sync when {@link #mustSync()}</b>: if {@link #snapshot()} is set,
 *       install it: replace the state machine with the staged data, and make the log storage an empty log
 *       after it ({@code firstIndex = index + 1}); then append {@link #entries()}, first deleting every
 *       stored entry with an index at or above the first new entry's index; then store
 *       {@link #hardState()} if set. A hard state whose term and vote did not change (only its commit
 *       index moved) need not be stored: the commit index is a cache of what a quorum decided, and on
 *       restart the core takes the stored one or the applied index, whichever is higher (an applied entry
 *       was committed), and learns the rest from the leader.</li>
 *   <li><b>Send {@link #persistedMessages()}</b>: votes, vote and append acknowledgements, which must not
 *       leave before what they promise is durable. (Heartbeat answers are in {@link #messages()}: they
 *       report the last entry already durable and grant nothing, so they need not wait.)</li>
 *   <li><b>Apply {@link #committedEntries()}</b> in order (they are all durable locally), and answer
 *       {@link #readStates()} once the applied index reaches each one's index. Since neither depends on
 *       this Ready's persistence, a driver may do this step before step 3 (Raft thesis §10.2.1: a leader
 *       then answers a write without waiting for the write of later entries).</li>
 *   <li><b>Call {@link RawNode#advance(Ready)}</b>. From then on the core reads the new entries, snapshot
 *       and hard state back from {@link LogStorage}, so storage must show them.</li>
 * </ol>
 *
 * <p>Between {@link RawNode#ready()} and {@link RawNode#advance(Ready)} the driver must not call anything
 * else on that {@code RawNode}. A crash at any point is fine: what was not persisted is lost, and Raft
 * recovers (nothing that depended on it was sent).
 */
public final class Ready {
  private final long number;
  private final SoftState softState;
  private final HardState hardState;
  private final List<Entry> entries;
  private final SnapshotMetadata snapshot;
  private final List<SnapshotChunk> snapshotChunks;
  private final List<Entry> committedEntries;
  private final List<Message> messages;
  private final List<Message> persistedMessages;
  private final List<ReadState> readStates;
  private final boolean mustSync;

  Ready(
      long number,
      SoftState softState,
      HardState hardState,
      List<Entry> entries,
      SnapshotMetadata snapshot,
      List<SnapshotChunk> snapshotChunks,
      List<Entry> committedEntries,
      List<Message> messages,
      List<Message> persistedMessages,
      List<ReadState> readStates,
      boolean mustSync) {
    this.number = number;
    this.softState = softState;
    this.hardState = hardState;
    this.entries = List.copyOf(entries);
    this.snapshot = snapshot;
    this.snapshotChunks = List.copyOf(snapshotChunks);
    this.committedEntries = List.copyOf(committedEntries);
    this.messages = List.copyOf(messages);
    this.persistedMessages = List.copyOf(persistedMessages);
    this.readStates = List.copyOf(readStates);
    this.mustSync = mustSync;
  }

  /** 1, 2, 3, ... per {@code RawNode} instance. */
  public long number() {
    return number;
  }

  /** The leader, role and term if any changed since the previous Ready; null otherwise. Not persisted. */
  public SoftState softState() {
    return softState;
  }

  /**
   * The term, vote and commit if any changed since the previous Ready; null otherwise. Term and vote must
   * be stored (synced, see {@link #mustSync()}); a change of the commit index alone may be skipped.
   */
  public HardState hardState() {
    return hardState;
  }

  /** Entries to append to the log (see the class comment for the overwrite rule); may be empty. */
  public List<Entry> entries() {
    return entries;
  }

  /**
   * A snapshot to install before appending {@link #entries()}: its metadata (last index, term,
   * membership). The data is what {@link #snapshotChunks()} staged, in this Ready or earlier ones. Null
   * when there is none.
   */
  public SnapshotMetadata snapshot() {
    return snapshot;
  }

  /** Snapshot chunks this follower accepted, in offset order, to write into the staging area. */
  public List<SnapshotChunk> snapshotChunks() {
    return snapshotChunks;
  }

  /** Committed entries to apply to the state machine, in index order; all are durable locally. */
  public List<Entry> committedEntries() {
    return committedEntries;
  }

  /**
   * Messages that may be sent at once. A {@code MSG_SNAPSHOT} here carries the snapshot's metadata and an
   * offset but no data: the driver reads up to its chunk size of bytes at that offset from the snapshot
   * named by the metadata (index, term), and sets {@code data}, {@code last} (true when the chunk reaches
   * the end) and {@code total_size} before sending. If it no longer has that snapshot it drops the message
   * and calls {@link RawNode#reportSnapshotFailure(long)}.
   */
  public List<Message> messages() {
    return messages;
  }

  /** Messages to send only once this Ready's persistence is durable. */
  public List<Message> persistedMessages() {
    return persistedMessages;
  }

  /** Answers to {@link RawNode#readIndex(byte[])} requests (also to requests forwarded by followers). */
  public List<ReadState> readStates() {
    return readStates;
  }

  /** True when the persistence must be synced to disk before the persisted messages leave. */
  public boolean mustSync() {
    return mustSync;
  }

  @Override
  public String toString() {
    return "Ready{#" + number + ", soft=" + softState + ", entries=" + entries.size()
        + ", snapshot=" + (snapshot == null ? "none" : snapshot.getIndex())
        + ", chunks=" + snapshotChunks.size() + ", committed=" + committedEntries.size()
        + ", msgs=" + messages.size() + "+" + persistedMessages.size() + ", reads=" + readStates.size()
        + "}";
  }
}
