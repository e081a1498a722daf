package io.kvstore.storage;

import static io.kvstore.storage.TestEntries.bytes;
import static io.kvstore.storage.TestEntries.entries;
import static io.kvstore.storage.TestEntries.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.raft.proto.HardState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Applied data: atomic apply, point reads, scans, system records, shard isolation. */
class DataTest {
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

  @Test
  void applyWritesDataAndAppliedIndexTogether() {
    store.write(store.newBatch().append(3, entries(1, 2, 1))
        .setHardState(3, HardState.newBuilder().setTerm(1).setCommit(2).build()), Durability.SYNC);
    StoreBatch apply = store.newBatch()
        .put(3, bytes("a"), bytes("1")).put(3, bytes("b"), bytes("2")).delete(3, bytes("zz"))
        .putSystem(3, bytes("client-9"), bytes("seq=4"))
        .setApplied(3, 2, 1);
    assertThat(store.get(3, bytes("a"))).isNull();
    store.write(apply, Durability.NO_SYNC);
    for (int round = 0; round < 2; round++) {
      assertThat(str(store.get(3, bytes("a")))).isEqualTo("1");
      assertThat(str(store.get(3, bytes("b")))).isEqualTo("2");
      assertThat(str(store.getSystem(3, bytes("client-9")))).isEqualTo("seq=4");
      assertThat(store.get(3, bytes("client-9"))).isNull(); // namespaces are separate
      assertThat(store.group(3).appliedIndex()).isEqualTo(2);
      assertThat(store.group(3).appliedTerm()).isEqualTo(1);
      reopen();
    }
    store.write(store.newBatch().delete(3, bytes("a")).deleteSystem(3, bytes("client-9")), Durability.NO_SYNC);
    assertThat(store.get(3, bytes("a"))).isNull();
    assertThat(store.getSystem(3, bytes("client-9"))).isNull();
  }

  @Test
  void scansAreOrderedAsUnsignedBytesBoundedAndLimited() {
    StoreBatch b = store.newBatch();
    byte[][] keys = {{0x00}, {0x01}, {0x01, 0x00}, {0x7F}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xFF, (byte) 0xFF}};
    for (int i = keys.length - 1; i >= 0; i--) {
      b.put(4, keys[i], new byte[] {(byte) i});
    }
    b.put(3, new byte[] {0x05}, new byte[] {9}); // neighbouring shards stay out of the scan
    b.put(5, new byte[] {0x00}, new byte[] {9});
    b.putSystem(4, new byte[] {0x00}, new byte[] {9});
    store.write(b, Durability.NO_SYNC);

    List<KeyValue> all = store.scan(4, null, null, 100);
    assertThat(all).extracting(KeyValue::key).containsExactly(keys);
    assertThat(all.get(4).value()).containsExactly(4);
    assertThat(store.scan(4, new byte[] {0x01}, new byte[] {(byte) 0x80}, 100)).extracting(KeyValue::key)
        .containsExactly(keys[1], keys[2], keys[3]);
    assertThat(store.scan(4, new byte[] {0x01}, null, 2)).extracting(KeyValue::key).containsExactly(keys[1], keys[2]);
    assertThat(store.scan(4, null, null, 0)).isEmpty();
    assertThat(store.scanPrefix(4, new byte[] {0x01}, 100)).extracting(KeyValue::key).containsExactly(keys[1], keys[2]);
    assertThat(store.scanPrefix(4, new byte[] {(byte) 0xFF}, 100)).extracting(KeyValue::key)
        .containsExactly(keys[5], keys[6]);
    assertThat(store.scanPrefix(4, new byte[0], 100)).hasSize(keys.length);
    assertThat(store.scanSystem(4, new byte[0], 100)).extracting(KeyValue::key).containsExactly(new byte[] {0x00});
    assertThat(store.scan(6, null, null, 100)).isEmpty();
  }

  @Test
  void aScanIsOneConsistentViewWhileWritesContinue() throws Exception {
    StoreBatch b = store.newBatch();
    for (int i = 0; i < 2000; i++) {
      b.put(1, String.format("k%05d", i).getBytes(), bytes("v0"));
    }
    store.write(b, Durability.NO_SYNC);
    // A writer rewrites every key with a new version, one batch per version, while scans run: each scan
    // must see one version for all keys (each batch is atomic, each scan reads one snapshot).
    Thread writer = new Thread(() -> {
      for (int v = 1; v <= 30; v++) {
        StoreBatch w = store.newBatch();
        for (int i = 0; i < 2000; i++) {
          w.put(1, String.format("k%05d", i).getBytes(), bytes("v" + v));
        }
        store.write(w, Durability.NO_SYNC);
      }
    });
    writer.start();
    int scans = 0;
    while (writer.isAlive() || scans < 5) {
      List<KeyValue> kv = store.scan(1, null, null, 10_000);
      assertThat(kv).hasSize(2000);
      assertThat(kv.stream().map(e -> str(e.value())).distinct()).hasSize(1);
      scans++;
    }
    writer.join();
    assertThat(str(store.get(1, bytes("k01999")))).isEqualTo("v30");
  }
}
