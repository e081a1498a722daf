package io.kvstore.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs a staged snapshot so that a crash at any point leaves either the old state or the new one
 * once the store is reopened. RocksDB cannot ingest a file and write a batch atomically, and the Java
 * SST writer cannot write range deletions, so the install is three durable steps with a marker:
 *
 * <ol>
 *   <li>one synced batch: the marker ({@code raft_state} tag 0x03 = the snapshot's metadata) and a range
 *       deletion of the shard's data;</li>
 *   <li>ingest the staged SST file (data, system records and the applied state, all at once);</li>
 *   <li>one synced batch: the group's log deleted, its compaction point set to the snapshot, commit raised
 *       to the snapshot index, the marker removed.</li>
 * </ol>
 *
 * On open, a marker means the install was interrupted: if the shard's applied state already equals the
 * marker, step 2 happened and step 3 is redone; else the staged file (kept until step 3) is ingested
 * again; if it is gone, the group is failed (it must be re-created from a leader's snapshot).
 */
final class SnapshotInstaller {
  private static final Logger log = LoggerFactory.getLogger(SnapshotInstaller.class);

  private SnapshotInstaller() {}

  static void install(NodeStore store, Rocks rocks, Path stagingDir, IncomingSnapshot snapshot, GroupStorage group) {
    if (!snapshot.isComplete()) {
      throw new IllegalStateException("shard " + snapshot.shardId() + ": snapshot not completely received ("
          + snapshot.nextOffset() + " bytes so far)");
    }
    group.checkHealthy();
    SnapshotMetadata meta = snapshot.metadata();
    if (meta.getIndex() <= group.appliedIndex()) {
      throw new IllegalStateException("shard " + snapshot.shardId() + ": snapshot at " + meta.getIndex()
          + " is not newer than the applied index " + group.appliedIndex());
    }
    long shard = snapshot.shardId();
    try (WriteBatch b = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
      b.put(rocks.state(), Keys.stateKey(shard, Keys.TAG_PRESENT), new byte[0]);
      b.put(rocks.state(), Keys.stateKey(shard, Keys.TAG_INSTALLING), meta.toByteArray());
      b.deleteRange(rocks.data(), Keys.shardStart(shard), Keys.shardEnd(shard));
      rocks.db().write(sync, b);
      ingest(rocks, snapshot.file());
      snapshot.markInstalled();
      HardState hs = finish(rocks, shard, meta);
      group.resetTo(meta, hs);
      Files.deleteIfExists(snapshot.file());
      log.info("shard {}: installed snapshot at index {} term {}", Long.toUnsignedString(shard),
          meta.getIndex(), meta.getTerm());
    } catch (RocksDBException e) {
      throw group.fail(RocksErrors.wrap("shard " + shard + ": installing snapshot " + meta.getIndex(), e));
    } catch (IOException e) {
      log.warn("shard {}: could not delete the staged snapshot {}: {}", shard, snapshot.file(), e.toString());
    }
  }

  private static void ingest(Rocks rocks, Path file) throws RocksDBException {
    try (IngestExternalFileOptions o = new IngestExternalFileOptions()) {
      // Moving (hard-linking) avoids copying the shard's data; the staged copy is deleted after step 3.
      o.setMoveFiles(true);
      rocks.db().ingestExternalFile(rocks.data(), List.of(file.toString()), o);
    }
  }

  /** Step 3: the log starts after the snapshot. Returns the hard state now on disk. */
  private static HardState finish(Rocks rocks, long shard, SnapshotMetadata meta) throws RocksDBException {
    HardState hs;
    try {
      byte[] raw = rocks.db().get(rocks.state(), Keys.stateKey(shard, Keys.TAG_HARD_STATE));
      hs = raw == null ? HardState.getDefaultInstance() : HardState.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException(StoreException.Reason.CORRUPTION, "shard " + shard + ": undecodable hard state", e);
    }
    if (hs.getCommit() < meta.getIndex()) {
      hs = hs.toBuilder().setCommit(meta.getIndex()).build();
    }
    try (WriteBatch b = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
      b.deleteRange(rocks.log(), Keys.logKey(shard, 0), Keys.logEnd(shard));
      b.put(rocks.state(), Keys.stateKey(shard, Keys.TAG_LOG_SNAPSHOT), meta.toByteArray());
      b.put(rocks.state(), Keys.stateKey(shard, Keys.TAG_HARD_STATE), hs.toByteArray());
      b.delete(rocks.state(), Keys.stateKey(shard, Keys.TAG_INSTALLING));
      rocks.db().write(sync, b);
    }
    return hs;
  }

  /** Finishes installs a crash interrupted (see the class comment). Called by open, before any group loads. */
  static void recover(NodeStore store, Rocks rocks, Path stagingDir) throws RocksDBException {
    try (RocksIterator it = rocks.db().newIterator(rocks.state())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (key.length != 9 || key[8] != Keys.TAG_INSTALLING) {
          continue;
        }
        long shard = Keys.getLong(key, 0);
        SnapshotMetadata meta;
        try {
          meta = SnapshotMetadata.parseFrom(it.value());
        } catch (InvalidProtocolBufferException e) {
          log.error("shard {}: undecodable snapshot-install marker; the group stays failed", shard);
          continue;
        }
        byte[] appliedRaw = rocks.db().get(rocks.data(), Keys.appliedKey(shard));
        SnapshotMetadata applied = null;
        try {
          applied = appliedRaw == null ? null : SnapshotMetadata.parseFrom(appliedRaw);
        } catch (InvalidProtocolBufferException e) {
          // treated as not ingested
        }
        Path staged = IncomingSnapshot.stagedFile(stagingDir, shard, meta);
        boolean ingested = applied != null && applied.getIndex() == meta.getIndex()
            && applied.getTerm() == meta.getTerm();
        if (!ingested) {
          if (!Files.exists(staged)) {
            log.error("shard {}: a snapshot install was interrupted and its staged file {} is gone; the group "
                + "stays failed until the replica is re-created", shard, staged);
            continue;
          }
          log.warn("shard {}: finishing an interrupted snapshot install at index {}", shard, meta.getIndex());
          try (WriteBatch b = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
            b.deleteRange(rocks.data(), Keys.shardStart(shard), Keys.shardEnd(shard));
            rocks.db().write(sync, b);
          }
          ingest(rocks, staged);
        }
        finish(rocks, shard, meta);
        try {
          Files.deleteIfExists(staged);
        } catch (IOException e) {
          log.warn("could not delete {}: {}", staged, e.toString());
        }
      }
      it.status();
    }
  }
}
