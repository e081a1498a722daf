package io.kvstore.storage;

import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/** Turns a RocksDB error into a {@link StoreException} that names the cause. */
final class RocksErrors {
  private RocksErrors() {}

  static StoreException wrap(String what, RocksDBException e) {
    return new StoreException(reasonOf(e), what + ": " + describe(e), e);
  }

  static StoreException.Reason reasonOf(RocksDBException e) {
    Status s = e.getStatus();
    String msg = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if ((s != null && s.getSubCode() == Status.SubCode.NoSpace) || msg.contains("no space")) {
      return StoreException.Reason.DISK_FULL;
    }
    if (s == null) {
      return StoreException.Reason.ROCKSDB;
    }
    return switch (s.getCode()) {
      case Corruption -> StoreException.Reason.CORRUPTION;
      case IOError -> StoreException.Reason.IO_ERROR;
      default -> StoreException.Reason.ROCKSDB;
    };
  }

  private static String describe(RocksDBException e) {
    Status s = e.getStatus();
    if (s == null) {
      return String.valueOf(e.getMessage());
    }
    return s.getCodeString() + (s.getState() == null ? "" : " (" + s.getState() + ")");
  }
}
