package io.kvstore.storage;

import static io.kvstore.storage.TestEntries.bytes;
import static io.kvstore.storage.TestEntries.entries;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.raft.proto.HardState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A snapshot install interrupted between its durable steps (see {@link SnapshotInstaller}) is finished
 * when the store is reopened, or, when that is impossible, fails only that group with a clear cause.
 * The crash points are reproduced by doing the first steps by hand and closing the store.
 */
class SnapshotRecoveryTest {
  static final long SHARD = 8;

  @TempDir Path dir;
  NodeStore leader;
  NodeStore follower;
  Path staged;
  io.kvstore.raft.proto.SnapshotMetadata meta;

  @BeforeEach
  void stageASnapshot() {
    leader = NodeStore.open(dir.resolve("a"), 1, "c", StorageOptions.small());
    follower = NodeStore.open(dir.resolve("b"), 2, "c", StorageOptions.small());
    StoreBatch b = leader.newBatch().append(SHARD, entries(1, 30, 4))
        .setHardState(SHARD, HardState.newBuilder().setTerm(4).setCommit(30).build());
    for (int i = 0; i < 300; i++) {
      b.put(SHARD, bytes("new" + i), bytes("v" + i));
    }
    leader.write(b.setApplied(SHARD, 30, 4), Durability.SYNC);
    StoreBatch old = follower.newBatch().append(SHARD, entries(1, 10, 1))
        .setHardState(SHARD, HardState.newBuilder().setTerm(1).setCommit(10).build())
        .put(SHARD, bytes("stale"), bytes("x")).setApplied(SHARD, 10, 1)
        .append(SHARD + 1, entries(1, 2, 1)).put(SHARD + 1, bytes("other"), bytes("y"));
    follower.write(old, Durability.SYNC);
    try (ShardSnapshot snap = leader.openSnapshot(SHARD);
        IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
      long offset = 0;
      while (!in.isComplete()) {
        offset = in.accept(snap.chunk(offset, 2048));
      }
      in.markInstalled(); // keep the staged file: the "crash" happens before or during ingestion
      staged = in.file();
      meta = snap.metadata();
    }
  }

  @AfterEach
  void close() {
    leader.close();
    follower.close();
  }

  private void step1MarkerAndRangeDeletion() throws Exception {
    Rocks r = follower.rocks();
    try (WriteBatch b = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
      b.put(r.state(), Keys.stateKey(SHARD, Keys.TAG_INSTALLING), meta.toByteArray());
      b.deleteRange(r.data(), Keys.shardStart(SHARD), Keys.shardEnd(SHARD));
      r.db().write(sync, b);
    }
  }

  private void step2Ingest() throws Exception {
    try (IngestExternalFileOptions o = new IngestExternalFileOptions()) {
      o.setMoveFiles(false);
      follower.rocks().db().ingestExternalFile(follower.rocks().data(), List.of(staged.toString()), o);
    }
  }

  private void reopenFollower() {
    follower.close();
    follower = NodeStore.open(dir.resolve("b"), 2, "c", StorageOptions.small());
  }

  private void assertInstalled() {
    assertThat(follower.scan(SHARD, null, null, 10_000)).isEqualTo(leader.scan(SHARD, null, null, 10_000));
    assertThat(follower.get(SHARD, bytes("stale"))).isNull();
    GroupStorage g = follower.group(SHARD);
    assertThat(g.appliedIndex()).isEqualTo(30);
    assertThat(g.firstIndex()).isEqualTo(31);
    assertThat(g.lastIndex()).isEqualTo(30);
    assertThat(g.term(30)).isEqualTo(4);
    assertThat(g.hardState().getCommit()).isEqualTo(30);
    assertThat(TestEntries.str(follower.get(SHARD + 1, bytes("other")))).isEqualTo("y");
    assertThat(follower.group(SHARD + 1).lastIndex()).isEqualTo(2);
    assertThat(Files.exists(staged)).isFalse();
  }

  @Test
  void crashAfterTheRangeDeletionIngestsTheStagedFileOnOpen() throws Exception {
    step1MarkerAndRangeDeletion();
    reopenFollower();
    assertInstalled();
  }

  @Test
  void crashAfterIngestionFinishesTheLogResetOnOpen() throws Exception {
    step1MarkerAndRangeDeletion();
    step2Ingest();
    Files.delete(staged);
    reopenFollower();
    assertInstalled();
  }

  @Test
  void crashAfterIngestionWithTheStagedFileStillThereDoesNotIngestTwiceWrongly() throws Exception {
    step1MarkerAndRangeDeletion();
    step2Ingest();
    reopenFollower();
    assertInstalled();
  }

  @Test
  void aLostStagedFileFailsOnlyThatGroupWithItsCause() throws Exception {
    step1MarkerAndRangeDeletion();
    Files.delete(staged);
    reopenFollower();
    GroupStorage g = follower.group(SHARD);
    assertThat(g.failure()).isNotNull();
    assertThat(g.failure().reason()).isEqualTo(StoreException.Reason.CORRUPTION);
    assertThat(g.failure()).hasMessageContaining("snapshot install was interrupted");
    org.assertj.core.api.Assertions.assertThatThrownBy(g::lastIndex).isSameAs(g.failure());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> follower.newBatch().append(SHARD, entries(11, 11, 1)))
        .isSameAs(g.failure());
    assertThat(follower.group(SHARD + 1).lastIndex()).isEqualTo(2);
  }
}
