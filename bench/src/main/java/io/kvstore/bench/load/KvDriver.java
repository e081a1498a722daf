package io.kvstore.bench.load;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletableFuture;

/**
 * One store's client, as the load generator sees it: single-key reads, writes and compare-and-swaps.
 *
 * <p>Contract, for every implementation:
 * <ul>
 *   <li>Every method is asynchronous: it returns at once, without waiting on the network, and never blocks
 *       the calling thread (which may be a transport event loop completing an earlier request).
 *   <li>Methods never throw: a failure (status error, deadline, closed channel) completes the returned
 *       future exceptionally. The future completes on a transport thread, or on the caller's thread when
 *       the request fails before it is sent.
 *   <li>Thread-safe: many requests are in flight at once, over one connection per server shared by all.
 *   <li>A version is what the store calls a key's version: kvstore's Raft index of the last write in the
 *       key's shard, etcd's mod revision. Both only grow for one key.
 * </ul>
 */
public interface KvDriver extends AutoCloseable {
  /** Reads a key; completes with the key's version, or 0 when the key is absent. */
  CompletableFuture<Long> get(ByteString key, ReadConsistency consistency);

  /** Writes a key; completes with its new version once the store acknowledged the write as durable. */
  CompletableFuture<Long> put(ByteString key, ByteString value);

  /** Writes {@code value} only if the key's version is {@code expectedVersion} (0: the key is absent). */
  CompletableFuture<CasResult> compareAndSwap(ByteString key, long expectedVersion, ByteString value);

  /** The store's short name for reports: "kvstore", "etcd". */
  String storeName();

  /** How this driver talks to its store, for the report (client library, endpoints, mappings). */
  String describe();

  /** Closes the connections; requests still in flight fail. Blocks until the channels are shut down. */
  @Override
  void close();
}
