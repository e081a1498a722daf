package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;

/**
 * Reads of one shard's applied data, as the state machine needs them while applying (through the
 * hot-value cache, then RocksDB). Blocks on local disk only. Called from the applying thread.
 */
public interface ShardReader {
  /** The key's applied value, or null when absent. */
  StoredValue get(ByteString key);
}
