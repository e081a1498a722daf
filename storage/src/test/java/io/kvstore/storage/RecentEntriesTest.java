package io.kvstore.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.raft.proto.Entry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory tail of a group's log: what it holds after appends, overwrites, applies and bounds. */
class RecentEntriesTest {
  @TempDir Path dir;

  @Test
  void anOverwrittenSuffixIsNeverServed() {
    RecentEntries r = new RecentEntries();
    r.appended(TestEntries.entries(1, 5, 1));
    r.appended(TestEntries.entries(4, 6, 2)); // a new leader replaced 4 and 5
    assertThat(r.slice(1, 7, Long.MAX_VALUE))
        .containsExactly(TestEntries.entry(1, 1), TestEntries.entry(2, 1), TestEntries.entry(3, 1),
            TestEntries.entry(4, 2), TestEntries.entry(5, 2), TestEntries.entry(6, 2));
  }

  @Test
  void aGapStartsOverFromTheNewEntries() {
    RecentEntries r = new RecentEntries();
    r.appended(TestEntries.entries(1, 3, 1));
    r.appended(TestEntries.entries(10, 11, 1)); // e.g. after a snapshot install the store cleared us
    assertThat(r.holdsFrom(3)).isFalse();
    assertThat(r.holdsFrom(10)).isTrue();
    assertThat(r.slice(10, 12, Long.MAX_VALUE)).hasSize(2);
  }

  @Test
  void appliedEntriesAreForgottenAndTheSizeIsBounded() {
    RecentEntries r = new RecentEntries();
    r.appended(TestEntries.entries(1, 10, 1));
    r.dropThrough(7);
    assertThat(r.holdsFrom(7)).isFalse();
    assertThat(r.holdsFrom(8)).isTrue();

    r.appended(TestEntries.entries(11, 10 + RecentEntries.MAX_ENTRIES, 1));
    assertThat(r.size()).isEqualTo(RecentEntries.MAX_ENTRIES);
    assertThat(r.holdsFrom(11)).isTrue();
    assertThat(r.holdsFrom(10)).isFalse();

    RecentEntries big = new RecentEntries();
    ByteString mib = ByteString.copyFrom(new byte[(int) RecentEntries.MAX_BYTES / 2]);
    for (long i = 1; i <= 4; i++) {
      big.appended(List.of(Entry.newBuilder().setIndex(i).setTerm(1).setData(mib).build()));
    }
    assertThat(big.size()).isEqualTo(1); // two halves plus their headers pass the bound: only the newest stays
    assertThat(big.holdsFrom(4)).isTrue();
  }

  @Test
  void sliceStopsAtTheByteBoundButReturnsAtLeastOne() {
    RecentEntries r = new RecentEntries();
    r.appended(TestEntries.entries(1, 5, 1));
    long one = TestEntries.entry(1, 1).getSerializedSize();
    assertThat(r.slice(1, 6, 0)).hasSize(1);
    assertThat(r.slice(1, 6, 2 * one)).hasSize(2);
    assertThat(r.slice(2, 4, Long.MAX_VALUE)).extracting(Entry::getIndex).containsExactly(2L, 3L);
  }

  @Test
  void theStoreServesUnappliedEntriesFromMemoryAndTheSameAfterAReopen() {
    NodeStore store = NodeStore.open(dir, 9, "recent", StorageOptions.small());
    List<Entry> written;
    try {
      StoreBatch b = store.newBatch();
      b.append(1, TestEntries.entries(1, 6, 1));
      store.write(b, Durability.SYNC);
      b = store.newBatch();
      b.append(1, TestEntries.entries(5, 8, 2));
      store.write(b, Durability.SYNC);
      written = store.group(1).entries(3, 9, Long.MAX_VALUE);
    } finally {
      store.close();
    }
    NodeStore reopened = NodeStore.open(dir, 9, "recent", StorageOptions.small());
    try {
      assertThat(reopened.group(1).entries(3, 9, Long.MAX_VALUE)).isEqualTo(written);
      assertThat(written).extracting(Entry::getTerm).containsExactly(1L, 1L, 2L, 2L, 2L, 2L);
    } finally {
      reopened.close();
    }
  }
}
