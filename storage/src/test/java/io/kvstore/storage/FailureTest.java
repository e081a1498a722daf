package io.kvstore.storage;

import static io.kvstore.storage.TestEntries.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full disk and unreadable records: typed errors, nothing acknowledged that was not persisted. */
class FailureTest {
  @TempDir Path dir;

  @Test
  void aFullDiskFailsTheWriteWithDiskFullAndKeepsEveryAcknowledgedEntry() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("small-disk"));
    // A real full file system: a 24 MiB tmpfs (needs root, as in CI; skipped where mounting is refused).
    Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.toString()) == 0,
        "cannot mount a tmpfs here");
    try {
      Path data = mount.resolve("node");
      Path filler = mount.resolve("filler");
      long acked = 0;
      StoreException failure = null;
      try (NodeStore store = NodeStore.open(data, 1, "c", StorageOptions.small())) {
        Files.write(filler, new byte[4 << 20]); // freed later so the store can reopen
        byte[] big = new byte[16 * 1024];
        while (failure == null && acked < 100_000) {
          List<Entry> es = List.of(Entry.newBuilder().setIndex(acked + 1).setTerm(1)
              .setData(com.google.protobuf.ByteString.copyFrom(big)).build());
          try {
            store.write(store.newBatch().append(1, es), Durability.SYNC);
            acked++;
          } catch (StoreException e) {
            failure = e;
          }
        }
        assertThat(failure).as("the disk filled up").isNotNull();
        assertThat(failure.reason()).isEqualTo(StoreException.Reason.DISK_FULL);
        assertThat(failure).hasMessageContaining("writing a batch");
        assertThat(store.group(1).lastIndex()).as("the failed batch is not visible").isEqualTo(acked);
        // The store refuses further writes rather than guessing what is on disk.
        StoreException again = org.assertj.core.api.Assertions.catchThrowableOfType(StoreException.class,
            () -> store.write(store.newBatch().append(1, entries(1, 1, 1)), Durability.SYNC));
        assertThat(again.reason()).isEqualTo(StoreException.Reason.FAILED);
      }
      Files.delete(filler);
      try (NodeStore store = NodeStore.open(data, 1, "c", StorageOptions.small())) {
        GroupStorage g = store.group(1);
        assertThat(g.lastIndex()).as("every acknowledged entry survived").isGreaterThanOrEqualTo(acked);
        assertThat(g.entries(1, acked + 1, Long.MAX_VALUE)).hasSize((int) acked);
      }
      System.out.printf("full disk: %d entries acknowledged before %s%n", acked, failure.getMessage());
    } finally {
      run("umount", "-l", mount.toString());
    }
  }

  @Test
  void anUndecodableEntryFailsOnlyItsGroup() throws Exception {
    try (NodeStore store = NodeStore.open(dir, 1, "c", StorageOptions.small())) {
      store.write(store.newBatch().append(1, entries(1, 10, 1)).append(2, entries(1, 10, 1)), Durability.SYNC);
      // Applied entries are read from RocksDB (the unapplied tail is served from memory).
      store.write(store.newBatch().setApplied(1, 10, 1), Durability.SYNC);
      store.rocks().db().put(store.rocks().log(), Keys.logKey(1, 5), new byte[] {(byte) 0xFF, 0x01, 0x02});
      GroupStorage g = store.group(1);
      assertThatThrownBy(() -> g.entries(1, 11, Long.MAX_VALUE)).isInstanceOfSatisfying(StoreException.class,
          e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPTION));
      assertThat(g.failure()).isNotNull();
      assertThatThrownBy(g::lastIndex).isSameAs(g.failure());
      assertThatThrownBy(() -> store.newBatch().append(1, entries(11, 11, 1))).isSameAs(g.failure());
      assertThat(store.group(2).entries(1, 11, Long.MAX_VALUE)).hasSize(10);
    }
  }

  @Test
  void aHoleInTheLogIsFoundOnReadAndOnOpen() throws Exception {
    try (NodeStore store = NodeStore.open(dir, 1, "c", StorageOptions.small())) {
      store.write(store.newBatch().append(1, entries(1, 10, 1))
          .setHardState(1, HardState.newBuilder().setTerm(1).setCommit(8).build()).setApplied(1, 8, 1),
          Durability.SYNC);
      store.rocks().db().delete(store.rocks().log(), Keys.logKey(1, 6));
      GroupStorage g = store.group(1);
      assertThatThrownBy(() -> g.entries(4, 9, Long.MAX_VALUE)).hasMessageContaining("hole");
    }
    try (NodeStore store = NodeStore.open(dir, 1, "c", StorageOptions.small())) {
      // Loading the group reads the tail of its log (to cache the terms) and finds the hole.
      GroupStorage g = store.group(1);
      assertThat(g.failure()).isNotNull().hasMessageContaining("hole");
      assertThat(g.failure().reason()).isEqualTo(StoreException.Reason.CORRUPTION);
      assertThatThrownBy(() -> g.term(7)).isSameAs(g.failure());
      // Stale entries below the compaction point, or a commit index past the log, refuse the group at once.
      store.rocks().db().put(store.rocks().state(), Keys.stateKey(2, Keys.TAG_HARD_STATE),
          HardState.newBuilder().setCommit(3).build().toByteArray());
    }
    try (NodeStore store = NodeStore.open(dir, 1, "c", StorageOptions.small())) {
      assertThat(store.group(2).failure()).hasMessageContaining("commit index 3 beyond the last log entry 0");
    }
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
