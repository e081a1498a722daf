package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The locks of one shard (lock.proto): for each lock name, its holder (a lease and its fencing token), the
 * FIFO queue of waiting leases, and the last token issued. Part of the replicated state, written as one
 * shard system record per lock, {@code 'K' name} → {@code lastToken(8) holderLease(8) holderToken(8)
 * count(4) [lease(8)]*}, in the same batch as the entry that changed it.
 *
 * <p>A lock's record is kept when it is free, so its last token survives and a fence with an older token
 * stays refused (kv.proto, Fence). Not thread-safe: the applying thread only.
 */
final class LockTable {
  static final byte PREFIX = 'K';

  /** A hand-off to a lease that waited: the node tells the caller blocked in Acquire. */
  record Grant(ByteString name, long lease, long token) {}

  /** What an Acquire did: holder now (with token), or not, with the holder's lease. */
  record Acquired(boolean acquired, long token, long holderLease) {}

  private static final class Lock {
    long lastToken;
    long holderLease;
    long holderToken;
    final ArrayDeque<Long> waiters = new ArrayDeque<>();
  }

  private final Map<ByteString, Lock> locks = new HashMap<>();

  Acquired acquire(long index, ByteString name, long lease, boolean wait, ShardWriter w) {
    Lock l = locks.computeIfAbsent(name, n -> new Lock());
    if (l.holderLease == lease) {
      return new Acquired(true, l.holderToken, lease);
    }
    if (l.holderLease == 0) {
      // Fencing token = the index of the entry that made this lease the holder: grows with every holder.
      l.holderLease = lease;
      l.holderToken = index;
      l.lastToken = index;
      l.waiters.remove(lease);
      store(name, l, w);
      return new Acquired(true, index, lease);
    }
    if (wait && !l.waiters.contains(lease)) {
      l.waiters.addLast(lease);
      store(name, l, w);
    }
    return new Acquired(false, 0, l.holderLease);
  }

  /**
   * Releases {@code name} held by {@code lease} (handing it on), or dequeues the waiting lease.
   *
   * @return true when it was held, false when only dequeued
   * @throws RefusedException (FAILED_PRECONDITION) when the lease neither holds nor waits for it
   */
  boolean release(long index, ByteString name, long lease, ShardWriter w, List<Grant> grants) {
    Lock l = locks.get(name);
    if (l != null && l.holderLease == lease && lease != 0) {
      handOff(index, name, l, w, grants);
      return true;
    }
    if (l != null && l.waiters.remove(lease)) {
      store(name, l, w);
      return false;
    }
    throw new RefusedException(RefusedException.Reason.FAILED_PRECONDITION, "lease "
        + Long.toUnsignedString(lease) + " does not hold lock '" + name.toStringUtf8() + "'"
        + (l == null || l.holderLease == 0 ? " (it is free)" : "") + " and is not waiting for it");
  }

  /** A lease expired or was revoked: release what it held, take it out of every queue. */
  void leaseGone(long index, long lease, ShardWriter w, List<Grant> grants) {
    for (Map.Entry<ByteString, Lock> e : locks.entrySet()) {
      Lock l = e.getValue();
      boolean dequeued = l.waiters.remove(lease);
      if (l.holderLease == lease) {
        handOff(index, e.getKey(), l, w, grants);
      } else if (dequeued) {
        store(e.getKey(), l, w);
      }
    }
  }

  /**
   * Why a write fenced with ({@code name}, {@code token}) must be refused, or null when it may proceed.
   */
  String fenceRefusal(ByteString name, long token) {
    Lock l = locks.get(name);
    if (l == null || l.lastToken == 0) {
      return "unknown lock '" + name.toStringUtf8() + "' in the fence";
    }
    if (token < l.lastToken) {
      return "stale fence: lock '" + name.toStringUtf8() + "' has a newer holder (token " + l.lastToken
          + " > " + token + ")";
    }
    if (token > l.lastToken) {
      return "fence token " + token + " was never issued for lock '" + name.toStringUtf8() + "' (last "
          + l.lastToken + ")";
    }
    return null;
  }

  /** The holder's lease (0: free), for tests and inspection. */
  long holder(ByteString name) {
    Lock l = locks.get(name);
    return l == null ? 0 : l.holderLease;
  }

  private void handOff(long index, ByteString name, Lock l, ShardWriter w, List<Grant> grants) {
    Long next = l.waiters.pollFirst();
    if (next == null) {
      l.holderLease = 0;
      l.holderToken = 0;
    } else {
      l.holderLease = next;
      l.holderToken = index;
      l.lastToken = index;
      grants.add(new Grant(name, next, index));
    }
    store(name, l, w);
  }

  void load(Iterable<Map.Entry<byte[], byte[]>> records) {
    locks.clear();
    for (Map.Entry<byte[], byte[]> r : records) {
      byte[] k = r.getKey();
      if (k.length < 2 || k[0] != PREFIX) {
        continue;
      }
      ByteBuffer b = ByteBuffer.wrap(r.getValue());
      Lock l = new Lock();
      l.lastToken = b.getLong();
      l.holderLease = b.getLong();
      l.holderToken = b.getLong();
      int n = b.getInt();
      for (int i = 0; i < n; i++) {
        l.waiters.addLast(b.getLong());
      }
      locks.put(ByteString.copyFrom(k, 1, k.length - 1), l);
    }
  }

  private static void store(ByteString name, Lock l, ShardWriter w) {
    byte[] key = new byte[1 + name.size()];
    key[0] = PREFIX;
    name.copyTo(key, 1);
    ByteBuffer b = ByteBuffer.allocate(28 + 8 * l.waiters.size());
    b.putLong(l.lastToken).putLong(l.holderLease).putLong(l.holderToken).putInt(l.waiters.size());
    l.waiters.forEach(b::putLong);
    w.putSystem(key, b.array());
  }
}
