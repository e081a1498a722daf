package io.kvstore.storage;

import static io.kvstore.storage.TestEntries.bytes;
import static io.kvstore.storage.TestEntries.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.HardState;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/** Snapshots between two real stores: streaming, resuming, validation, atomic install, crash recovery. */
class SnapshotTest {
  static final long SHARD = 5;
  static final ConfState CONF = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();

  @TempDir Path dir;
  NodeStore leader;
  NodeStore follower;

  @BeforeEach
  void open() {
    leader = NodeStore.open(dir.resolve("a"), 1, "c", StorageOptions.small());
    follower = NodeStore.open(dir.resolve("b"), 2, "c", StorageOptions.small());
  }

  @AfterEach
  void close() {
    leader.close();
    follower.close();
  }

  /** Shard data: keys k00000.., value = key + version; log and applied state up to {@code applied}. */
  private static void fill(NodeStore s, int keys, String version, long applied) {
    StoreBatch b = s.newBatch();
    long last = s.group(SHARD).lastIndex();
    b.append(SHARD, entries(last + 1, applied, 2));
    b.setHardState(SHARD, HardState.newBuilder().setTerm(2).setCommit(applied).build());
    for (int i = 0; i < keys; i++) {
      b.put(SHARD, key(i), bytes("value-" + i + "-" + version + "-" + "x".repeat(i % 50)));
    }
    b.putSystem(SHARD, bytes("session-1"), bytes(version));
    b.setConfState(SHARD, CONF).setApplied(SHARD, applied, 2);
    s.write(b, Durability.SYNC);
  }

  private static byte[] key(int i) {
    return String.format("k%05d", i).getBytes();
  }

  /** Streams every chunk in order from sender to receiver; returns the number of chunks. */
  private static int transfer(ShardSnapshot snap, IncomingSnapshot in, int chunkBytes) {
    int chunks = 0;
    long offset = in.nextOffset();
    while (!in.isComplete()) {
      SnapshotChunk c = snap.chunk(offset, chunkBytes);
      offset = in.accept(c);
      chunks++;
    }
    return chunks;
  }

  private static void assertSameShard(NodeStore expected, NodeStore actual) {
    assertThat(actual.scan(SHARD, null, null, 1_000_000)).isEqualTo(expected.scan(SHARD, null, null, 1_000_000));
    assertThat(actual.scanSystem(SHARD, new byte[0], 1000)).isEqualTo(expected.scanSystem(SHARD, new byte[0], 1000));
  }

  @Test
  void roundTripReplacesTheShardAndResetsTheLog() {
    fill(leader, 3000, "v1", 100);
    // The follower has an older, different version of the shard, with keys the snapshot does not have,
    // and a neighbouring shard that must survive.
    fill(follower, 4000, "old", 40);
    follower.write(follower.newBatch().put(SHARD + 1, bytes("n"), bytes("keep"))
        .put(SHARD - 1, bytes("n"), bytes("keep")), Durability.SYNC);

    try (ShardSnapshot snap = leader.openSnapshot(SHARD);
        IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
      assertThat(snap.metadata()).isEqualTo(SnapshotMetadata.newBuilder().setIndex(100).setTerm(2)
          .setConfState(CONF).build());
      int chunks = transfer(snap, in, 8 * 1024);
      assertThat(chunks).isGreaterThan(10);
      follower.installSnapshot(in);
    }
    for (int round = 0; round < 2; round++) {
      assertSameShard(leader, follower);
      assertThat(follower.scan(SHARD, null, null, 1_000_000)).hasSize(3000);
      GroupStorage g = follower.group(SHARD);
      assertThat(g.appliedIndex()).isEqualTo(100);
      assertThat(g.appliedTerm()).isEqualTo(2);
      assertThat(g.confState()).isEqualTo(CONF);
      assertThat(g.firstIndex()).isEqualTo(101);
      assertThat(g.lastIndex()).isEqualTo(100);
      assertThat(g.term(100)).isEqualTo(2);
      assertThat(g.hardState().getCommit()).isEqualTo(100);
      assertThat(TestEntries.str(follower.get(SHARD + 1, bytes("n")))).isEqualTo("keep");
      assertThat(TestEntries.str(follower.get(SHARD - 1, bytes("n")))).isEqualTo("keep");
      assertThat(Files.exists(follower.dataDir().resolve(NodeStore.STAGING_DIR))).isTrue();
      follower.close();
      follower = NodeStore.open(dir.resolve("b"), 2, "c", StorageOptions.small());
    }
    // The log continues after the snapshot.
    follower.write(follower.newBatch().append(SHARD, entries(101, 103, 3)), Durability.SYNC);
    assertThat(follower.group(SHARD).entries(101, 104, Long.MAX_VALUE)).isEqualTo(entries(101, 103, 3));
  }

  @Test
  void snapshotTakenWhileWritesContinueIsThePointInTimeState() throws Exception {
    fill(leader, 2000, "v1", 50);
    NodeStore copyAtSnapshot = NodeStore.open(dir.resolve("expected"), 3, "c", StorageOptions.small());
    try (ShardSnapshot snap = leader.openSnapshot(SHARD)) {
      // Record what the shard looked like when the snapshot was opened, then keep writing meanwhile.
      StoreBatch expected = copyAtSnapshot.newBatch();
      for (KeyValue kv : leader.scan(SHARD, null, null, 1_000_000)) {
        expected.put(SHARD, kv.key(), kv.value());
      }
      expected.putSystem(SHARD, bytes("session-1"), bytes("v1"));
      copyAtSnapshot.write(expected, Durability.SYNC);

      Thread writer = new Thread(() -> {
        for (int v = 2; v <= 6; v++) {
          fill(leader, 2500, "v" + v, 50 + v * 10L);
        }
      });
      writer.start();
      try (IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
        transfer(snap, in, 4096);
        follower.installSnapshot(in);
      }
      writer.join();
    }
    assertSameShard(copyAtSnapshot, follower);
    assertThat(follower.group(SHARD).appliedIndex()).isEqualTo(50);
    assertThat(leader.group(SHARD).appliedIndex()).isEqualTo(110);
    copyAtSnapshot.close();
  }

  @Test
  void lostDuplicatedAndRewoundChunksStillInstallTheSameState() {
    fill(leader, 1500, "v1", 20);
    SplittableRandom rnd = new SplittableRandom(42);
    try (ShardSnapshot snap = leader.openSnapshot(SHARD);
        IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
      long sendFrom = 0;
      int sent = 0;
      while (!in.isComplete()) {
        SnapshotChunk c = snap.chunk(sendFrom, 1000 + rnd.nextInt(3000));
        sent++;
        int fate = rnd.nextInt(10);
        long ack;
        if (fate == 0) {
          ack = in.nextOffset(); // lost: the sender times out and resends from the last acknowledgement
        } else if (fate == 1) {
          in.accept(c);
          ack = in.accept(c); // duplicated
        } else {
          ack = in.accept(c);
        }
        sendFrom = fate == 2 ? Math.max(0, ack - rnd.nextInt(5000)) : ack; // a stale ack rewinds the sender
        assertThat(sent).isLessThan(100_000);
      }
      follower.installSnapshot(in);
    }
    assertSameShard(leader, follower);
  }

  @Test
  void rejectsMalformedStreamsAndForeignChunks() throws Exception {
    fill(leader, 500, "v1", 10);
    try (ShardSnapshot snap = leader.openSnapshot(SHARD)) {
      SnapshotChunk first = snap.chunk(0, 4096);
      // Another snapshot's chunk.
      try (IncomingSnapshot in = follower.receiveSnapshot(SHARD,
          snap.metadata().toBuilder().setIndex(11).build())) {
        assertThatThrownBy(() -> in.accept(first)).isInstanceOfSatisfying(StoreException.class,
            e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID_SNAPSHOT));
      }
      // A flipped byte in a value: the checksum catches it at the end.
      try (IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
        long offset = 0;
        boolean corrupted = false;
        StoreException failure = null;
        try {
          while (!in.isComplete()) {
            SnapshotChunk c = snap.chunk(offset, 4096);
            if (!corrupted && offset > 0) {
              byte[] data = c.getData().toByteArray();
              data[data.length / 2] ^= 0x01;
              c = c.toBuilder().setData(ByteString.copyFrom(data)).build();
              corrupted = true;
            }
            offset = in.accept(c);
          }
        } catch (StoreException e) {
          failure = e;
        }
        assertThat(failure).isNotNull();
        assertThat(failure.reason()).isEqualTo(StoreException.Reason.INVALID_SNAPSHOT);
        assertThatThrownBy(() -> follower.installSnapshot(in)).isInstanceOf(IllegalStateException.class);
      }
      // A stream cut short.
      try (IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
        SnapshotChunk cut = snap.chunk(0, 100).toBuilder().setLast(true).build();
        assertThatThrownBy(() -> in.accept(cut)).isInstanceOfSatisfying(StoreException.class,
            e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID_SNAPSHOT));
      }
    }
    assertThat(follower.group(SHARD).appliedIndex()).isZero();
    try (var files = java.nio.file.Files.list(follower.dataDir().resolve(NodeStore.STAGING_DIR))) {
      assertThat(files).isEmpty(); // closing a receiver drops its staged file
    }
  }

  @Test
  void refusesAStaleSnapshotAndAnUnappliedShard() {
    assertThatThrownBy(() -> leader.openSnapshot(SHARD)).isInstanceOf(IllegalStateException.class);
    fill(leader, 10, "v1", 10);
    fill(follower, 10, "v1", 20);
    try (ShardSnapshot snap = leader.openSnapshot(SHARD);
        IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
      transfer(snap, in, 4096);
      assertThatThrownBy(() -> follower.installSnapshot(in)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not newer");
    }
    assertThat(follower.group(SHARD).appliedIndex()).isEqualTo(20);
  }

  @Test
  void chunksAtAnyOffsetReassembleTheSameStream() {
    fill(leader, 800, "v1", 10);
    try (ShardSnapshot snap = leader.openSnapshot(SHARD)) {
      java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
      long offset = 0;
      SnapshotChunk c;
      do {
        c = snap.chunk(offset, 777);
        whole.writeBytes(c.getData().toByteArray());
        offset += c.getData().size();
      } while (!c.getLast());
      byte[] stream = whole.toByteArray();
      assertThat(c.getTotalSize()).isEqualTo(stream.length);
      SplittableRandom rnd = new SplittableRandom(7);
      for (int i = 0; i < 20; i++) {
        int at = rnd.nextInt(stream.length);
        SnapshotChunk part = snap.chunk(at, 500);
        assertThat(part.getData().toByteArray())
            .isEqualTo(java.util.Arrays.copyOfRange(stream, at, Math.min(stream.length, at + 500)));
      }
      assertThatThrownBy(() -> snap.chunk(stream.length + 1L, 10)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void compactAndSnapshotPinsTheStateTheCoreNamesBySnapshotMetadata() {
    fill(leader, 200, "v1", 40);
    try (ShardSnapshot snap = leader.compactAndSnapshot(SHARD, TestEntries.point(40, 2, CONF))) {
      GroupStorage g = leader.group(SHARD);
      assertThat(snap.metadata()).isEqualTo(g.snapshotMetadata());
      assertThat(g.firstIndex()).isEqualTo(41);
      fill(leader, 300, "v2", 60); // applying goes on; the pinned snapshot stays at 40
      assertThat(g.snapshotMetadata().getIndex()).isEqualTo(40);
      try (IncomingSnapshot in = follower.receiveSnapshot(SHARD, g.snapshotMetadata())) {
        transfer(snap, in, 1024);
        follower.installSnapshot(in);
      }
      assertThat(follower.scan(SHARD, null, null, 1000)).hasSize(200);
      assertThat(TestEntries.str(follower.get(SHARD, key(0)))).startsWith("value-0-v1");
      assertThat(follower.group(SHARD).snapshotMetadata()).isEqualTo(snap.metadata());
    }
    // Again, with nothing applied since: the compaction point is already the applied index.
    assertThatThrownBy(() -> leader.compactAndSnapshot(SHARD, TestEntries.point(59, 2, CONF)))
        .isInstanceOf(IllegalArgumentException.class);
    try (ShardSnapshot first = leader.compactAndSnapshot(SHARD, TestEntries.point(60, 2, CONF));
        ShardSnapshot second = leader.compactAndSnapshot(SHARD, TestEntries.point(60, 2, CONF))) {
      assertThat(first.metadata().getIndex()).isEqualTo(60);
      assertThat(second.metadata()).isEqualTo(first.metadata());
    }
  }

  @Test
  void compactLogMovesTheCompactionPointWithoutPinningARocksDbSnapshot() throws Exception {
    fill(leader, 200, "v1", 40);
    leader.compactLog(SHARD, TestEntries.point(40, 2, CONF));
    GroupStorage g = leader.group(SHARD);
    assertThat(g.firstIndex()).isEqualTo(41);
    assertThat(g.snapshotMetadata().getIndex()).isEqualTo(40);
    assertThat(g.snapshotMetadata().getConfState()).isEqualTo(CONF);
    // A pinned RocksDB snapshot keeps every later version alive through flushes; compactLog holds none.
    assertThat(leader.rocks().db().getLongProperty("rocksdb.num-snapshots")).isZero();
    try (ShardSnapshot snap = leader.compactAndSnapshot(SHARD, TestEntries.point(40, 2, CONF))) {
      assertThat(leader.rocks().db().getLongProperty("rocksdb.num-snapshots")).isEqualTo(1);
      assertThat(snap.metadata()).isEqualTo(g.snapshotMetadata());
    }
    assertThat(leader.rocks().db().getLongProperty("rocksdb.num-snapshots")).isZero();
    // Only the applied state may become the compaction point.
    fill(leader, 200, "v2", 60);
    assertThatThrownBy(() -> leader.compactLog(SHARD, TestEntries.point(59, 2, CONF)))
        .isInstanceOf(IllegalArgumentException.class);
    leader.compactLog(SHARD, TestEntries.point(60, 2, CONF));
    assertThat(g.firstIndex()).isEqualTo(61);
    assertThat(TestEntries.str(leader.get(SHARD, key(0)))).startsWith("value-0-v2");
  }

  @Test
  void aChunkAtOffsetZeroStartsTheTransferOver() {
    fill(leader, 500, "v1", 10);
    try (ShardSnapshot snap = leader.openSnapshot(SHARD);
        IncomingSnapshot in = follower.receiveSnapshot(SHARD, snap.metadata())) {
      long offset = in.accept(snap.chunk(0, 1000));
      offset = in.accept(snap.chunk(offset, 1000));
      assertThat(offset).isEqualTo(2000);
      assertThat(in.accept(snap.chunk(0, 1500))).isEqualTo(1500);
      transfer(snap, in, 1000);
      follower.installSnapshot(in);
    }
    assertSameShard(leader, follower);
  }
}
