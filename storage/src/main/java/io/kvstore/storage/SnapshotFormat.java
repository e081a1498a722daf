package io.kvstore.storage;

import java.util.zip.CRC32C;

/**
 * The byte stream of a shard snapshot (format version 1), cut into chunks by offset. It is the shard's
 * range of the data column family in key order, shard id removed:
 *
 * <pre>
 * record*  := keyLength(4, big-endian, &gt;= 1) key valueLength(4) value      key = namespace byte + key
 * trailer  := 0(4) recordCount(8) crc32c(4)                                 crc32c of every record byte
 * </pre>
 *
 * <p>The first record is the shard's applied state (namespace 0x00), whose index and term must match the
 * snapshot's metadata. Keys strictly increase (unsigned), which is what the receiver's SST writer needs.
 */
final class SnapshotFormat {
  static final int TRAILER_BYTES = 4 + 8 + 4;

  private SnapshotFormat() {}

  static int putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
    return off + 4;
  }

  static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
  }

  /** Encodes one record; updates the checksum. */
  static byte[] record(byte[] key, byte[] value, CRC32C crc) {
    byte[] out = new byte[8 + key.length + value.length];
    int off = putInt(out, 0, key.length);
    System.arraycopy(key, 0, out, off, key.length);
    off = putInt(out, off + key.length, value.length);
    System.arraycopy(value, 0, out, off, value.length);
    crc.update(out);
    return out;
  }

  static byte[] trailer(long count, CRC32C crc) {
    byte[] out = new byte[TRAILER_BYTES];
    putInt(out, 0, 0);
    Keys.putLong(out, 4, count);
    putInt(out, 12, (int) crc.getValue());
    return out;
  }
}
