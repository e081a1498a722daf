package io.kvstore.storage;

/**
 * Tuning of a node's store. Memory is bounded for the whole node, not per group: one block cache and one
 * write-buffer manager are shared by every column family, and memtables are charged to the block cache,
 * so RocksDB's memory stays near {@code blockCacheBytes} however many groups the node hosts.
 *
 * <p>The {@link #defaults() defaults} fit a node with 1 GiB of RAM: 256 MiB of block cache (memtables,
 * indexes and filters included), leaving the rest to the JVM heap and the OS page cache.
 *
 * @param createIfMissing create an empty store when the directory holds none; when false, a missing store
 *     is refused ({@link StoreException.Reason#MISSING}), e.g. for a node that is expected to have data
 * @param blockCacheBytes the shared LRU block cache (data blocks, indexes, filters and memtables)
 * @param writeBufferBytes the total memtable budget of all column families (charged to the block cache)
 * @param memtableBytes the size at which one column family's memtable is flushed
 * @param maxWalBytes the write-ahead log size that forces a flush of column families that still pin it
 * @param backgroundJobs threads for flushes and compactions
 * @param snapshotChunkBytes default size of one snapshot chunk
 */
public record StorageOptions(
    boolean createIfMissing,
    long blockCacheBytes,
    long writeBufferBytes,
    long memtableBytes,
    long maxWalBytes,
    int backgroundJobs,
    int snapshotChunkBytes) {

  private static final long MIB = 1L << 20;

  public StorageOptions {
    if (blockCacheBytes < MIB) {
      throw new IllegalArgumentException("blockCacheBytes must be at least 1 MiB: " + blockCacheBytes);
    }
    if (writeBufferBytes < MIB || writeBufferBytes > blockCacheBytes) {
      throw new IllegalArgumentException(
          "writeBufferBytes must be in [1 MiB, blockCacheBytes]: " + writeBufferBytes);
    }
    if (memtableBytes < 64 * 1024 || memtableBytes > writeBufferBytes) {
      throw new IllegalArgumentException("memtableBytes must be in [64 KiB, writeBufferBytes]: " + memtableBytes);
    }
    if (maxWalBytes < memtableBytes) {
      throw new IllegalArgumentException("maxWalBytes must be at least memtableBytes: " + maxWalBytes);
    }
    if (backgroundJobs < 1) {
      throw new IllegalArgumentException("backgroundJobs must be positive: " + backgroundJobs);
    }
    if (snapshotChunkBytes < 1024) {
      throw new IllegalArgumentException("snapshotChunkBytes must be at least 1 KiB: " + snapshotChunkBytes);
    }
  }

  /** Defaults for a node with 1 GiB of RAM. */
  public static StorageOptions defaults() {
    return new StorageOptions(true, 256 * MIB, 64 * MIB, 16 * MIB, 128 * MIB, 2, 1 << 20);
  }

  /** Small budgets for tests that open many stores at once. */
  public static StorageOptions small() {
    return new StorageOptions(true, 16 * MIB, 8 * MIB, 2 * MIB, 16 * MIB, 1, 64 * 1024);
  }

  public StorageOptions withCreateIfMissing(boolean value) {
    return new StorageOptions(value, blockCacheBytes, writeBufferBytes, memtableBytes, maxWalBytes,
        backgroundJobs, snapshotChunkBytes);
  }

  public StorageOptions withSnapshotChunkBytes(int value) {
    return new StorageOptions(createIfMissing, blockCacheBytes, writeBufferBytes, memtableBytes, maxWalBytes,
        backgroundJobs, value);
  }
}
