package io.kvstore.storage;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The on-disk key layout (format version 1). All integers are 8-byte big-endian, so RocksDB's bytewise
 * (unsigned) order is numeric order for non-negative ids and indexes.
 *
 * <pre>
 * column family  key                                   value
 * default        "kvstore.identity"                    StoreIdentity (format version, node id, cluster id)
 * raft_log       group(8) index(8)                     Entry bytes
 * raft_state     group(8) 0x00                         empty: the group exists on this node
 * raft_state     group(8) 0x01                         HardState bytes
 * raft_state     group(8) 0x02                         SnapshotMetadata of the log's compaction point
 * raft_state     group(8) 0x03                         SnapshotMetadata of a snapshot being installed
 * data           shard(8) 0x00 "applied"               SnapshotMetadata: applied index, its term, membership
 * data           shard(8) 0x01 key                     shard system record (kv-server's exactly-once table)
 * data           shard(8) 0x02 key                     user key
 * </pre>
 *
 * <p>The applied state lives in the data column family, inside the shard's range, on purpose: a write
 * batch that applies entries updates data and applied index together, and a snapshot of the shard's range
 * carries its applied index and membership with the data, so installing one (SST ingestion) replaces all
 * three at once.
 */
final class Keys {
  static final byte NS_INTERNAL = 0x00;
  static final byte NS_SYSTEM = 0x01;
  static final byte NS_USER = 0x02;
  /** Never used as a namespace: the exclusive upper bound of a shard's range. */
  static final byte NS_END = (byte) 0xFF;

  static final byte TAG_PRESENT = 0x00;
  static final byte TAG_HARD_STATE = 0x01;
  static final byte TAG_LOG_SNAPSHOT = 0x02;
  static final byte TAG_INSTALLING = 0x03;

  static final byte[] IDENTITY = "kvstore.identity".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  static final byte[] APPLIED_SUFFIX = "applied".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private Keys() {}

  static byte[] logKey(long group, long index) {
    byte[] k = new byte[16];
    putLong(k, 0, group);
    putLong(k, 8, index);
    return k;
  }

  /** The exclusive upper bound of a group's log keys (index 2^64-1 is never used). */
  static byte[] logEnd(long group) {
    return logKey(group, -1L);
  }

  static long logIndex(byte[] key) {
    return getLong(key, 8);
  }

  static long logGroup(byte[] key) {
    return getLong(key, 0);
  }

  static byte[] stateKey(long group, byte tag) {
    byte[] k = new byte[9];
    putLong(k, 0, group);
    k[8] = tag;
    return k;
  }

  static byte[] dataKey(long shard, byte namespace, byte[] key) {
    byte[] k = new byte[9 + key.length];
    putLong(k, 0, shard);
    k[8] = namespace;
    System.arraycopy(key, 0, k, 9, key.length);
    return k;
  }

  static byte[] appliedKey(long shard) {
    return dataKey(shard, NS_INTERNAL, APPLIED_SUFFIX);
  }

  /** The first key of a shard's range (inclusive). */
  static byte[] shardStart(long shard) {
    return dataKey(shard, NS_INTERNAL, new byte[0]);
  }

  /** The end of a shard's range (exclusive). */
  static byte[] shardEnd(long shard) {
    return dataKey(shard, NS_END, new byte[0]);
  }

  /** The end of a namespace within a shard (exclusive). */
  static byte[] namespaceEnd(long shard, byte namespace) {
    return dataKey(shard, (byte) (namespace + 1), new byte[0]);
  }

  /** The key with the shard id and namespace removed. */
  static byte[] userKey(byte[] dataKey) {
    return Arrays.copyOfRange(dataKey, 9, dataKey.length);
  }

  /**
   * The smallest key greater than every key starting with {@code prefix}, or null when there is none
   * (the prefix is all 0xFF bytes or empty).
   */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
