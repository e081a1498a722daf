package io.kvstore.storage;

/**
 * Counters since the store was opened.
 *
 * @param syncedWrites batches written with {@link Durability#SYNC} (each is one fsync of the log)
 * @param unsyncedWrites batches written with {@link Durability#NO_SYNC}
 * @param entriesAppended Raft log entries written
 * @param bytesWritten serialized size of all batches written
 */
public record StoreStats(long syncedWrites, long unsyncedWrites, long entriesAppended, long bytesWritten) {}
