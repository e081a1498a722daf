package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The leases of one shard and the keys attached to each (lease.proto). Part of the replicated state:
 * changed only by applied entries, and every change is written as shard system records in the same batch
 * as the data (so snapshots carry it and a restart reloads it):
 * <ul>
 *   <li>{@code 'L' id(8)} → {@code ttlMillis(8)}: a lease;</li>
 *   <li>{@code 'A' id(8) key} → empty: a key attached to it (one record per key, so attaching is O(1)).</li>
 * </ul>
 * Deadlines are not here: they are the leader's business ({@code lease.LeaseKeeper}); only the expiry
 * entry the leader proposes changes this table.
 *
 * <p>Written by the applying thread only; readable from any thread (lookups for the Lease service may see
 * a change a moment before its batch is written).
 */
public final class LeaseTable {
  static final byte LEASE = 'L';
  static final byte ATTACHED = 'A';
  /** Lease ids carry their shard in the bits above this (lease.proto, "Lease ids"). */
  public static final int SHARD_SHIFT = 40;

  /** One lease: its TTL and its keys (a concurrent set: read by other threads). */
  public record Lease(long id, long ttlMillis, Set<ByteString> keys) {}

  private final Map<Long, Lease> leases = new ConcurrentHashMap<>();

  /** The id of the lease granted by the entry at {@code index} of shard {@code shardId}. */
  public static long leaseId(long shardId, long index) {
    return (shardId << SHARD_SHIFT) | index;
  }

  /** The shard a lease id names. */
  public static long shardOf(long leaseId) {
    return leaseId >>> SHARD_SHIFT;
  }

  public Lease get(long id) {
    return leases.get(id);
  }

  public Collection<Lease> all() {
    return Collections.unmodifiableCollection(leases.values());
  }

  void grant(long id, long ttlMillis, ShardWriter w) {
    leases.put(id, new Lease(id, ttlMillis, new ConcurrentSkipListSet<>(ByteString.unsignedLexicographicalComparator())));
    w.putSystem(leaseKey(id), ByteBuffer.allocate(8).putLong(ttlMillis).array());
  }

  void attach(long id, ByteString key, ShardWriter w) {
    Lease l = leases.get(id);
    if (l != null && l.keys().add(key)) {
      w.putSystem(attachedKey(id, key), new byte[0]);
    }
  }

  void detach(long id, ByteString key, ShardWriter w) {
    Lease l = leases.get(id);
    if (l != null && l.keys().remove(key)) {
      w.deleteSystem(attachedKey(id, key));
    }
  }

  /** Removes a lease and its attachment records; returns its keys (the caller deletes them). */
  List<ByteString> remove(long id, ShardWriter w) {
    Lease l = leases.remove(id);
    if (l == null) {
      return List.of();
    }
    List<ByteString> keys = new ArrayList<>(l.keys());
    for (ByteString k : keys) {
      w.deleteSystem(attachedKey(id, k));
    }
    w.deleteSystem(leaseKey(id));
    return keys;
  }

  /** Replaces the table with the shard's stored records (start-up, snapshot install). */
  public void load(Iterable<Map.Entry<byte[], byte[]>> records) {
    leases.clear();
    List<Map.Entry<byte[], byte[]>> attached = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> r : records) {
      byte[] k = r.getKey();
      if (k.length == 9 && k[0] == LEASE) {
        long id = ByteBuffer.wrap(k, 1, 8).getLong();
        leases.put(id, new Lease(id, ByteBuffer.wrap(r.getValue()).getLong(),
            new ConcurrentSkipListSet<>(ByteString.unsignedLexicographicalComparator())));
      } else if (k.length > 9 && k[0] == ATTACHED) {
        attached.add(r);
      }
    }
    for (Map.Entry<byte[], byte[]> r : attached) {
      byte[] k = r.getKey();
      Lease l = leases.get(ByteBuffer.wrap(k, 1, 8).getLong());
      if (l != null) {
        l.keys().add(ByteString.copyFrom(k, 9, k.length - 9));
      }
    }
  }

  private static byte[] leaseKey(long id) {
    return ByteBuffer.allocate(9).put(LEASE).putLong(id).array();
  }

  private static byte[] attachedKey(long id, ByteString key) {
    byte[] out = new byte[9 + key.size()];
    ByteBuffer.wrap(out).put(ATTACHED).putLong(id);
    key.copyTo(out, 9);
    return out;
  }
}
