package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import java.nio.ByteBuffer;

/**
 * A user key's value as the state machine stores it in RocksDB: {@code version(8) createVersion(8) value},
 * integers big-endian. Both versions are log indexes of the key's shard (kv.proto, "Versions").
 *
 * @param value the value bytes (never null; may be empty)
 * @param version the index of the entry that last wrote the key
 * @param createVersion the index of the entry that created it (first write since it was last absent)
 */
public record StoredValue(ByteString value, long version, long createVersion) {
  private static final int HEADER = 16;

  public byte[] encode() {
    byte[] out = new byte[HEADER + value.size()];
    ByteBuffer b = ByteBuffer.wrap(out);
    b.putLong(version).putLong(createVersion);
    value.copyTo(out, HEADER);
    return out;
  }

  /** Decodes what {@link #encode} wrote; throws {@link IllegalStateException} on a record too short to be one. */
  public static StoredValue decode(byte[] raw) {
    if (raw.length < HEADER) {
      throw new IllegalStateException("stored value of " + raw.length + " bytes is shorter than its header");
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    long version = b.getLong();
    long create = b.getLong();
    return new StoredValue(ByteString.copyFrom(raw, HEADER, raw.length - HEADER), version, create);
  }

  /** Approximate heap footprint, for the cache's weigher. */
  public int weight() {
    return value.size() + 64;
  }

  public KeyValue toKeyValue(ByteString key, boolean keysOnly) {
    KeyValue.Builder kv = KeyValue.newBuilder().setKey(key).setVersion(version).setCreateVersion(createVersion);
    if (!keysOnly) {
      kv.setValue(value);
    }
    return kv.build();
  }
}
