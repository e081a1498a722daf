package io.kvstore.storage;

import static io.kvstore.storage.TestEntries.entries;
import static io.kvstore.storage.TestEntries.entry;
import static io.kvstore.storage.TestEntries.point;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.raft.CompactedException;
import io.kvstore.raft.UnavailableException;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LogStorage view and the log/state writes of StoreBatch, on a real RocksDB, across reopen. */
class GroupLogTest {
  @TempDir Path dir;
  NodeStore store;

  @BeforeEach
  void open() {
    store = NodeStore.open(dir, 1, "c", StorageOptions.small());
  }

  @AfterEach
  void close() {
    store.close();
  }

  private void reopen() {
    store.close();
    store = NodeStore.open(dir, 1, "c", StorageOptions.small());
  }

  private void write(java.util.function.Consumer<StoreBatch> ops) {
    StoreBatch b = store.newBatch();
    ops.accept(b);
    store.write(b, Durability.SYNC);
  }

  @Test
  void emptyGroupHasAnEmptyLog() {
    GroupStorage g = store.group(7);
    assertThat(g.exists()).isFalse();
    assertThat(g.firstIndex()).isEqualTo(1);
    assertThat(g.lastIndex()).isZero();
    assertThat(g.term(0)).isZero();
    assertThat(g.initialState().hardState()).isEqualTo(HardState.getDefaultInstance());
    assertThat(g.entries(1, 1, Long.MAX_VALUE)).isEmpty();
    assertThatThrownBy(() -> g.term(1)).isInstanceOf(UnavailableException.class);
  }

  @Test
  void appendsReadBackAndSurviveReopen() {
    write(b -> b.append(7, entries(1, 10, 1)).append(7, entries(11, 12, 2))
        .setHardState(7, HardState.newBuilder().setTerm(2).setVote(3).setCommit(5).build()));
    for (int round = 0; round < 2; round++) {
      GroupStorage g = store.group(7);
      assertThat(g.exists()).isTrue();
      assertThat(g.firstIndex()).isEqualTo(1);
      assertThat(g.lastIndex()).isEqualTo(12);
      assertThat(g.term(10)).isEqualTo(1);
      assertThat(g.term(11)).isEqualTo(2);
      assertThat(g.entries(3, 13, Long.MAX_VALUE)).isEqualTo(concat(entries(3, 10, 1), entries(11, 12, 2)));
      assertThat(g.hardState()).isEqualTo(HardState.newBuilder().setTerm(2).setVote(3).setCommit(5).build());
      assertThat(store.groupIds()).containsExactly(7L);
      reopen();
    }
  }

  @Test
  void entriesStopAtMaxBytesButReturnAtLeastOne() {
    write(b -> b.append(1, entries(1, 10, 1)));
    GroupStorage g = store.group(1);
    int one = entry(1, 1).getSerializedSize();
    assertThat(g.entries(1, 11, 0)).hasSize(1);
    assertThat(g.entries(1, 11, 3L * one)).hasSize(3);
    assertThatThrownBy(() -> g.entries(1, 12, 100)).isInstanceOf(UnavailableException.class);
  }

  @Test
  void conflictingSuffixIsReplacedAndTheRestDeleted() {
    write(b -> b.append(1, entries(1, 10, 1)).setHardState(1, HardState.newBuilder().setCommit(3).build()));
    write(b -> b.append(1, entries(5, 6, 2)));
    for (int round = 0; round < 2; round++) {
      GroupStorage g = store.group(1);
      assertThat(g.lastIndex()).isEqualTo(6);
      assertThat(g.term(4)).isEqualTo(1);
      assertThat(g.term(5)).isEqualTo(2);
      assertThatThrownBy(() -> g.term(7)).isInstanceOf(UnavailableException.class);
      assertThat(g.entries(1, 7, Long.MAX_VALUE)).isEqualTo(concat(entries(1, 4, 1), entries(5, 6, 2)));
      reopen();
    }
    // Appending after the shorter log continues it, with no stale entries 7..10 in between.
    write(b -> b.append(1, entries(7, 8, 2)));
    reopen();
    assertThat(store.group(1).entries(1, 9, Long.MAX_VALUE)).extracting(Entry::getTerm)
        .containsExactly(1L, 1L, 1L, 1L, 2L, 2L, 2L, 2L);
  }

  @Test
  void twoAppendsInOneBatchTruncateAgainstEachOther() {
    write(b -> b.append(1, entries(1, 5, 1)).append(1, entries(3, 3, 2)));
    GroupStorage g = store.group(1);
    assertThat(g.lastIndex()).isEqualTo(3);
    reopen();
    assertThat(store.group(1).entries(1, 4, Long.MAX_VALUE)).extracting(Entry::getTerm).containsExactly(1L, 1L, 2L);
  }

  @Test
  void refusesHolesAndOverwritingCommittedEntries() {
    write(b -> b.append(1, entries(1, 5, 1)).setHardState(1, HardState.newBuilder().setCommit(4).build()));
    try (StoreBatch b = store.newBatch()) {
      assertThatThrownBy(() -> b.append(1, entries(7, 8, 1))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("hole");
      assertThatThrownBy(() -> b.append(1, entries(4, 6, 2))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("committed");
      // A resent copy of committed entries is dropped; the rest still replaces the uncommitted suffix.
      b.append(1, concat(entries(3, 4, 1), entries(5, 5, 2)));
      assertThatThrownBy(() -> b.append(1, List.of(entry(6, 1), entry(8, 1))))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> b.setHardState(1, HardState.newBuilder().setCommit(6).build()))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(store.group(1).lastIndex()).isEqualTo(5);
    assertThat(store.group(1).term(5)).isEqualTo(1);
    write(b -> b.append(1, concat(entries(2, 4, 1), entries(5, 6, 2))));
    assertThat(store.group(1).entries(1, 7, Long.MAX_VALUE)).extracting(Entry::getTerm)
        .containsExactly(1L, 1L, 1L, 1L, 2L, 2L);
  }

  @Test
  void nothingIsVisibleBeforeWriteReturns() {
    StoreBatch b = store.newBatch();
    b.append(1, entries(1, 3, 1));
    assertThat(store.group(1).lastIndex()).isZero();
    store.write(b, Durability.SYNC);
    assertThat(store.group(1).lastIndex()).isEqualTo(3);
    assertThatThrownBy(() -> store.write(b, Durability.SYNC)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void compactionDeletesThePrefixAndKeepsTheCompactionPointTerm() {
    ConfState conf = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
    write(b -> b.append(1, entries(1, 5, 1)).append(1, entries(6, 10, 2))
        .setHardState(1, HardState.newBuilder().setTerm(2).setCommit(8).build())
        .setApplied(1, 8, 2));
    try (StoreBatch b = store.newBatch()) {
      assertThatThrownBy(() -> b.compactLog(1, point(9, 2))).hasMessageContaining("applied");
      assertThatThrownBy(() -> b.compactLog(1, point(6, 1))).hasMessageContaining("term");
    }
    StoreBatch nosync = store.newBatch().compactLog(1, point(6, 2, conf));
    assertThatThrownBy(() -> store.write(nosync, Durability.NO_SYNC)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.group(1).firstIndex()).isEqualTo(1);

    write(b -> b.compactLog(1, point(6, 2, conf)));
    for (int round = 0; round < 2; round++) {
      GroupStorage g = store.group(1);
      assertThat(g.firstIndex()).isEqualTo(7);
      assertThat(g.lastIndex()).isEqualTo(10);
      assertThat(g.term(6)).isEqualTo(2);
      assertThat(g.snapshotMetadata().getIndex()).isEqualTo(6);
      assertThat(g.snapshotMetadata().getConfState()).isEqualTo(conf);
      assertThatThrownBy(() -> g.term(5)).isInstanceOf(CompactedException.class);
      assertThatThrownBy(() -> g.entries(6, 8, 100)).isInstanceOf(CompactedException.class);
      assertThat(g.entries(7, 11, Long.MAX_VALUE)).isEqualTo(entries(7, 10, 2));
      assertThat(g.initialState().confState()).as("membership as of the compaction point").isEqualTo(conf);
      assertThat(g.appliedIndex()).isEqualTo(8);
      assertThat(g.appliedTerm()).isEqualTo(2);
      reopen();
    }
    write(b -> b.compactLog(1, point(8, 2)));
    assertThat(store.group(1).firstIndex()).isEqualTo(9);
    assertThat(store.group(1).term(8)).isEqualTo(2);
    // Compacting the whole log leaves an empty log after the compaction point.
    write(b -> b.setHardState(1, HardState.newBuilder().setTerm(2).setCommit(10).build()).setApplied(1, 10, 2)
        .compactLog(1, point(10, 2)));
    reopen();
    GroupStorage g = store.group(1);
    assertThat(g.firstIndex()).isEqualTo(11);
    assertThat(g.lastIndex()).isEqualTo(10);
    assertThat(g.term(10)).isEqualTo(2);
    write(b -> b.append(1, entries(11, 11, 3)));
    assertThat(store.group(1).entries(11, 12, 100)).isEqualTo(entries(11, 11, 3));
  }

  @Test
  void appliedIndexNeverGoesBackAndMayNotPassTheLog() {
    write(b -> b.append(1, entries(1, 5, 1)).setHardState(1, HardState.newBuilder().setCommit(5).build())
        .setApplied(1, 4, 1));
    try (StoreBatch b = store.newBatch()) {
      assertThatThrownBy(() -> b.setApplied(1, 3, 1)).hasMessageContaining("go back");
      assertThatThrownBy(() -> b.setApplied(1, 6, 1)).hasMessageContaining("beyond");
    }
  }

  @Test
  void droppingAGroupRemovesEverythingAndLeavesOthers() {
    write(b -> b.append(1, entries(1, 3, 1)).append(2, entries(1, 3, 1))
        .setHardState(1, HardState.newBuilder().setTerm(1).setCommit(2).build())
        .put(1, TestEntries.bytes("k"), TestEntries.bytes("v"))
        .put(2, TestEntries.bytes("k"), TestEntries.bytes("w"))
        .setApplied(1, 2, 1));
    assertThat(store.groupIds()).containsExactly(1L, 2L);
    assertThatThrownBy(() -> store.write(store.newBatch().dropGroup(1), Durability.NO_SYNC))
        .isInstanceOf(IllegalArgumentException.class);
    GroupStorage before = store.group(1);
    write(b -> b.dropGroup(1));
    assertThatThrownBy(before::lastIndex).as("a view taken before the drop is stale")
        .hasMessageContaining("dropped");
    for (int round = 0; round < 2; round++) {
      assertThat(store.groupIds()).containsExactly(2L);
      GroupStorage g = store.group(1);
      assertThat(g.exists()).isFalse();
      assertThat(g.lastIndex()).isZero();
      assertThat(g.appliedIndex()).isZero();
      assertThat(g.hardState()).isEqualTo(HardState.getDefaultInstance());
      assertThat(store.get(1, TestEntries.bytes("k"))).isNull();
      assertThat(TestEntries.str(store.get(2, TestEntries.bytes("k")))).isEqualTo("w");
      assertThat(store.group(2).lastIndex()).isEqualTo(3);
      reopen();
    }
  }

  @Test
  void manyGroupsInOneBatchAreOneSyncedWrite() {
    StoreBatch b = store.newBatch();
    for (long g = 1; g <= 64; g++) {
      b.append(g, entries(1, 4, 1)).setHardState(g, HardState.newBuilder().setTerm(1).setCommit(2).build());
    }
    long before = store.stats().syncedWrites();
    store.write(b, Durability.SYNC);
    assertThat(store.stats().syncedWrites()).isEqualTo(before + 1);
    assertThat(store.stats().entriesAppended()).isEqualTo(256);
    reopen();
    assertThat(store.groupIds()).hasSize(64);
    for (long g = 1; g <= 64; g++) {
      assertThat(store.group(g).lastIndex()).isEqualTo(4);
      assertThat(store.group(g).hardState().getCommit()).isEqualTo(2);
    }
  }

  @Test
  void groupIdsAreUnsignedAndIndependent() {
    long big = -2L; // 2^64 - 2 as an unsigned id
    write(b -> b.append(big, entries(1, 2, 1)).append(0, entries(1, 1, 1)));
    reopen();
    assertThat(store.groupIds()).containsExactly(0L, big);
    assertThat(store.group(big).lastIndex()).isEqualTo(2);
    assertThat(store.group(0).lastIndex()).isEqualTo(1);
  }

  @Test
  void bootstrapCreatesTheGroupAsTheCoreExpects() {
    ConfState voters = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
    write(b -> b.bootstrap(4, voters));
    for (int round = 0; round < 2; round++) {
      GroupStorage g = store.group(4);
      assertThat(g.exists()).isTrue();
      assertThat(g.snapshotMetadata()).isEqualTo(point(1, 1, voters));
      assertThat(g.firstIndex()).isEqualTo(2);
      assertThat(g.lastIndex()).isEqualTo(1);
      assertThat(g.term(1)).isEqualTo(1);
      assertThat(g.initialState().hardState()).isEqualTo(HardState.newBuilder().setTerm(1).setCommit(1).build());
      assertThat(g.initialState().confState()).isEqualTo(voters);
      assertThat(g.appliedIndex()).isEqualTo(1);
      reopen();
    }
    assertThatThrownBy(() -> store.newBatch().bootstrap(4, voters)).isInstanceOf(IllegalStateException.class);
    write(b -> b.append(4, entries(2, 3, 2)));
    assertThat(store.group(4).entries(2, 4, Long.MAX_VALUE)).isEqualTo(entries(2, 3, 2));
    // A bootstrapped shard can be snapshotted at once (the leader may need to send it).
    try (ShardSnapshot snap = store.compactAndSnapshot(4, point(1, 1, voters))) {
      assertThat(snap.metadata()).isEqualTo(store.group(4).snapshotMetadata());
    }
  }

  private static List<Entry> concat(List<Entry> a, List<Entry> b) {
    List<Entry> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
