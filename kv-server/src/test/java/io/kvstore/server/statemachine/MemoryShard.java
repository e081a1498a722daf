package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A shard's data in memory, written in batches like the storage does: nothing is visible before commit(). */
final class MemoryShard implements ShardReader {
  final TreeMap<ByteString, byte[]> data = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  final TreeMap<ByteString, byte[]> system = new TreeMap<>(ByteString.unsignedLexicographicalComparator());

  @Override
  public StoredValue get(ByteString key) {
    byte[] v = data.get(key);
    return v == null ? null : StoredValue.decode(v);
  }

  List<Map.Entry<byte[], byte[]>> systemRecords() {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    system.forEach((k, v) -> out.add(new AbstractMap.SimpleEntry<>(k.toByteArray(), v)));
    return out;
  }

  /** A batch; {@link #commit()} makes it visible. */
  final class Batch implements ShardWriter {
    private final List<Runnable> ops = new ArrayList<>();

    @Override
    public void put(byte[] key, byte[] value) {
      ops.add(() -> data.put(ByteString.copyFrom(key), value));
    }

    @Override
    public void delete(byte[] key) {
      ops.add(() -> data.remove(ByteString.copyFrom(key)));
    }

    @Override
    public void putSystem(byte[] key, byte[] value) {
      ops.add(() -> system.put(ByteString.copyFrom(key), value));
    }

    @Override
    public void deleteSystem(byte[] key) {
      ops.add(() -> system.remove(ByteString.copyFrom(key)));
    }

    void commit() {
      ops.forEach(Runnable::run);
    }
  }
}
