package io.kvstore.storage;

/** Whether {@link NodeStore#write} waits for the write-ahead log to reach the disk (fsync). */
public enum Durability {
  /**
   * The write is on disk when {@code write} returns (one fsync of the write-ahead log for the whole batch).
   * Required for anything Raft must not forget after a crash before it acts on it: log entries, hard
   * state, log compaction, group removal (Raft §5: persist before responding).
   */
  SYNC,
  /**
   * The write is in the write-ahead log (the OS page cache) when {@code write} returns; it survives a
   * process crash but may be lost on a power failure, and then only together with every later write
   * (RocksDB recovers a prefix of the log). Enough for applying committed entries: the log they come from
   * is already synced, so a lost apply is replayed on restart, and the data and applied index of one
   * batch are lost or kept together (no double apply, no lost apply).
   */
  NO_SYNC
}
