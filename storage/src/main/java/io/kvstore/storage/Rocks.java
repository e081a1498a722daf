package io.kvstore.storage;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/** The open database and its column families (see {@link Keys} for what each holds). */
record Rocks(
    RocksDB db,
    ColumnFamilyHandle defaultCf,
    ColumnFamilyHandle log,
    ColumnFamilyHandle state,
    ColumnFamilyHandle data) {

  static final String LOG_CF = "raft_log";
  static final String STATE_CF = "raft_state";
  static final String DATA_CF = "data";
}
