package io.kvstore.storage;

import io.kvstore.raft.StorageException;

/**
 * A storage failure with its cause named: the store refuses to open, a write was not made durable, or a
 * read could not be served. It extends the Raft core's {@link StorageException}, so a failure inside a
 * {@link io.kvstore.raft.LogStorage} read is fatal for the group as that contract says.
 *
 * <p>A write that throws this was <em>not</em> acknowledged: the caller must not report it durable. Its
 * effects may or may not be found after a restart (Raft tolerates that: it was never acknowledged).
 */
public final class StoreException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Why the store failed. */
  public enum Reason {
    /** The data directory does not exist (or holds no store) and creating it was not allowed. */
    MISSING,
    /** The directory is not a kvstore store (foreign files, no identity record). */
    NOT_A_STORE,
    /** The store was written by another node id or another cluster id. */
    IDENTITY_MISMATCH,
    /** The store was written by an incompatible on-disk format version. */
    INCOMPATIBLE_FORMAT,
    /** RocksDB found corrupted files, or a record could not be decoded. */
    CORRUPTION,
    /** The disk is full: nothing more can be written. */
    DISK_FULL,
    /** Any other I/O error reported by the file system. */
    IO_ERROR,
    /** A previous write failed; the store refuses further writes until it is reopened. */
    FAILED,
    /** The store was closed. */
    CLOSED,
    /** A snapshot stream that is malformed or does not match what is being installed. */
    INVALID_SNAPSHOT,
    /** Any other RocksDB error. */
    ROCKSDB
  }

  private final Reason reason;

  public StoreException(Reason reason, String message) {
    super(reason + ": " + message);
    this.reason = reason;
  }

  public StoreException(Reason reason, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
