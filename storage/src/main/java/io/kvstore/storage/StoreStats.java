package io.kvstore.storage;

/**
 * Counters since the store was opened.
 *
 * @param syncedWrites batches written with {@link Durability#SYNC} (each is one fsync of the log)
 * @param unsyncedWrites batches written with {@link Durability#NO_SYNC}
 * @param entriesAppended Raft log entries written
 * @param bytesWritten serialized size of all batches written
 * @param recordsWritten records (puts, deletes, range deletions) in all batches written: each is a
 *     RocksDB memtable insert, the largest part of a write's CPU on a node
 */
public record StoreStats(long syncedWrites, long unsyncedWrites, long entriesAppended, long bytesWritten,
    long recordsWritten) {}
