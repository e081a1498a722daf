package io.kvstore.server.replica;

import io.kvstore.proto.v1.KeyValue;
import java.util.List;
import java.util.Optional;

/**
 * A consistent view of one shard's applied data on this node, valid for one request. Reads may hit
 * RocksDB (and the hot-value cache): call them off the gRPC event loop if the data set is large.
 */
public interface ReadView {
  /** The shard's applied index when the view was taken. */
  long appliedIndex();

  /** The Raft term of the replica when the view was taken. */
  long term();

  Optional<KeyValue> get(byte[] key);

  /**
   * Keys in {@code [start, end)} (end null: no upper bound) in unsigned byte order, at most {@code limit}
   * of them, values omitted when {@code keysOnly}.
   */
  List<KeyValue> scan(byte[] start, byte[] end, int limit, boolean keysOnly);
}
