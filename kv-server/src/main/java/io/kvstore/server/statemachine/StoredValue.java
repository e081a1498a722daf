package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import java.nio.ByteBuffer;

/**
 * A user key's value as the state machine stores it in RocksDB: {@code version(8) createVersion(8) value},
 * integers big-endian; a key attached to a lease is stored as {@code version(8) createVersion|2^63 (8)
 * lease(8) value}. Versions are log indexes (below 2^63), so the top bit of the second word is free to mark
 * the lease word, and records written before leases existed read unchanged.
 *
 * @param value the value bytes (never null; may be empty)
 * @param version the index of the entry that last wrote the key
 * @param createVersion the index of the entry that created it (first write since it was last absent)
 * @param lease the lease the key is attached to (0: none)
 */
public record StoredValue(ByteString value, long version, long createVersion, long lease) {
  private static final int HEADER = 16;
  private static final long LEASE_FLAG = Long.MIN_VALUE;

  public StoredValue(ByteString value, long version, long createVersion) {
    this(value, version, createVersion, 0);
  }

  public byte[] encode() {
    int header = lease == 0 ? HEADER : HEADER + 8;
    byte[] out = new byte[header + value.size()];
    ByteBuffer b = ByteBuffer.wrap(out);
    if (lease == 0) {
      b.putLong(version).putLong(createVersion);
    } else {
      b.putLong(version).putLong(createVersion | LEASE_FLAG).putLong(lease);
    }
    value.copyTo(out, header);
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
    if ((create & LEASE_FLAG) == 0 || create == -1) {
      return new StoredValue(ByteString.copyFrom(raw, HEADER, raw.length - HEADER), version, create, 0);
    }
    if (raw.length < HEADER + 8) {
      throw new IllegalStateException("stored value of " + raw.length + " bytes is shorter than its lease header");
    }
    long lease = b.getLong();
    return new StoredValue(ByteString.copyFrom(raw, HEADER + 8, raw.length - HEADER - 8), version,
        create & ~LEASE_FLAG, lease);
  }

  /** Approximate heap footprint, for the cache's weigher. */
  public int weight() {
    return value.size() + 64;
  }

  public KeyValue toKeyValue(ByteString key, boolean keysOnly) {
    KeyValue.Builder kv = KeyValue.newBuilder().setKey(key).setVersion(version).setCreateVersion(createVersion)
        .setLease(lease);
    if (!keysOnly) {
      kv.setValue(value);
    }
    return kv.build();
  }
}
