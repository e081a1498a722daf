package io.kvstore.server.lock;

import com.google.protobuf.ByteString;
import io.kvstore.server.statemachine.KvStateMachine.LockGrant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's callers blocked in Lock.Acquire, waiting for the lock to be handed to their lease. The state
 * machine queues waiters in the log (lock.proto, "Fairness"); this only tells a waiting caller when the
 * entry that handed it the lock was applied on this node, which happens on every replica, so a caller
 * keeps waiting correctly even if this node stops leading meanwhile.
 *
 * <p>Thread-safe. {@link #granted} is called after the hand-off's apply batch was written, off the loop
 * thread; futures complete on that thread.
 */
public final class LockWaiters {
  private record Key(long shard, ByteString name, long lease) {}

  private final Map<Key, CompletableFuture<Long>> waiting = new ConcurrentHashMap<>();

  /**
   * Registers a caller before its Acquire is proposed (so a hand-off right after it is not missed).
   *
   * @return completes with the fencing token when the lock is handed to {@code lease}
   */
  public CompletableFuture<Long> register(long shard, ByteString name, long lease) {
    CompletableFuture<Long> f = new CompletableFuture<>();
    waiting.put(new Key(shard, name, lease), f);
    return f;
  }

  /** Forgets a caller (it got the lock at once, gave up, or failed). */
  public void unregister(long shard, ByteString name, long lease, CompletableFuture<Long> f) {
    waiting.remove(new Key(shard, name, lease), f);
  }

  /** Hand-offs applied on this node's replica of {@code shard}. */
  public void granted(long shard, List<LockGrant> grants) {
    for (LockGrant g : grants) {
      CompletableFuture<Long> f = waiting.remove(new Key(shard, g.name(), g.lease()));
      if (f != null) {
        f.complete(g.token());
      }
    }
  }
}
