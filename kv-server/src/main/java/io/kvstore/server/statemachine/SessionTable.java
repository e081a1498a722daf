package io.kvstore.server.statemachine;

import io.kvstore.server.replica.CommandResult;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The exactly-once table of one shard (Raft thesis §6.3, "Implementing linearizable semantics"): for each
 * client id, the results of its latest writes by sequence number, so a write retried after a timeout or a
 * leader change is answered with its original result instead of being applied again.
 *
 * <p>It is part of the replicated state: every replica holds the same table because every change to it is
 * decided by log entries only. Each change is written as a shard system record in the same batch as the
 * data it guards (so both survive or vanish together, and snapshots carry it), and eviction depends only on
 * what the log says (entry indexes and the leader's timestamps in the entries), never on a replica's
 * own clock or memory layout.
 *
 * <p>Bounds: at most {@link Limits#resultsPerClient} results per client (older sequences are then
 * "superseded": a retry of one is refused, never re-applied), at most {@link Limits#maxClients} clients
 * (the least recently written one is dropped), and a client silent for {@link Limits#ttlMillis} (by the
 * entries' timestamps) is dropped. A retry arriving after its client was dropped is applied again: clients
 * must not retry for longer than the TTL.
 *
 * <p>Not thread-safe: used by the thread that applies the shard.
 */
public final class SessionTable {
  /** Bounds of the table; see the class comment. */
  public record Limits(int maxClients, int resultsPerClient, long ttlMillis) {
    public static Limits defaults() {
      return new Limits(10_000, 64, 15 * 60_000L);
    }
  }

  /** What the table knows of a (client, sequence) pair. */
  public sealed interface Lookup {
    record Fresh() implements Lookup {}

    record Duplicate(CommandResult result) implements Lookup {}

    /** Older than every result kept for the client: it was applied or superseded; never apply it again. */
    record Superseded(long floor) implements Lookup {}
  }

  static final byte PREFIX = 's';
  private static final Lookup FRESH = new Lookup.Fresh();

  private static final class Session {
    final long clientId;
    /** Every sequence at or below it was forgotten. */
    long floor;
    long lastIndex;
    long lastMillis;
    final NavigableMap<Long, byte[]> results = new TreeMap<>();

    Session(long clientId) {
      this.clientId = clientId;
    }
  }

  private final Limits limits;
  private final Map<Long, Session> sessions = new HashMap<>();
  /** Sessions by (last index written, client id): the eviction order, the same on every replica. */
  private final TreeSet<Session> byAge = new TreeSet<>(
      Comparator.<Session>comparingLong(s -> s.lastIndex).thenComparingLong(s -> s.clientId));

  public SessionTable(Limits limits) {
    this.limits = limits;
  }

  public Lookup lookup(long clientId, long sequence) {
    Session s = sessions.get(clientId);
    if (s == null) {
      return FRESH;
    }
    byte[] r = s.results.get(sequence);
    if (r != null) {
      return new Lookup.Duplicate(ResultCodec.decode(r));
    }
    if (sequence <= s.floor) {
      return new Lookup.Superseded(s.floor);
    }
    return FRESH;
  }

  /** Remembers the result of (client, sequence), applied by the entry at {@code index}. */
  public void record(long clientId, long sequence, CommandResult result, long index, long atMillis,
      ShardWriter writer) {
    Session s = sessions.get(clientId);
    if (s == null) {
      s = new Session(clientId);
      sessions.put(clientId, s);
    } else {
      byAge.remove(s);
    }
    s.lastIndex = index;
    s.lastMillis = Math.max(s.lastMillis, atMillis);
    s.results.put(sequence, ResultCodec.encode(result));
    while (s.results.size() > limits.resultsPerClient()) {
      s.floor = Math.max(s.floor, s.results.pollFirstEntry().getKey());
    }
    byAge.add(s);
    writer.putSystem(key(clientId), encode(s));
    while (sessions.size() > limits.maxClients()) {
      drop(byAge.first(), writer);
    }
  }

  /** Drops clients silent for longer than the TTL as of {@code atMillis} (an entry's timestamp). */
  public void expire(long atMillis, ShardWriter writer) {
    while (!byAge.isEmpty() && byAge.first().lastMillis < atMillis - limits.ttlMillis()) {
      drop(byAge.first(), writer);
    }
  }

  public int size() {
    return sessions.size();
  }

  /** Replaces the table with the shard's stored records (at start-up and after a snapshot install). */
  public void load(Iterable<Map.Entry<byte[], byte[]>> records) {
    sessions.clear();
    byAge.clear();
    for (Map.Entry<byte[], byte[]> r : records) {
      byte[] k = r.getKey();
      if (k.length != 9 || k[0] != PREFIX) {
        continue;
      }
      Session s = decode(ByteBuffer.wrap(k, 1, 8).getLong(), r.getValue());
      sessions.put(s.clientId, s);
      byAge.add(s);
    }
  }

  private void drop(Session s, ShardWriter writer) {
    byAge.remove(s);
    sessions.remove(s.clientId);
    writer.deleteSystem(key(s.clientId));
  }

  static byte[] key(long clientId) {
    return ByteBuffer.allocate(9).put(PREFIX).putLong(clientId).array();
  }

  /** {@code floor(8) lastIndex(8) lastMillis(8) count(4) [seq(8) len(4) result]*}. */
  private static byte[] encode(Session s) {
    int size = 28;
    for (byte[] r : s.results.values()) {
      size += 12 + r.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putLong(s.floor).putLong(s.lastIndex).putLong(s.lastMillis).putInt(s.results.size());
    for (Map.Entry<Long, byte[]> e : s.results.entrySet()) {
      b.putLong(e.getKey()).putInt(e.getValue().length).put(e.getValue());
    }
    return b.array();
  }

  private static Session decode(long clientId, byte[] raw) {
    try {
      ByteBuffer b = ByteBuffer.wrap(raw);
      Session s = new Session(clientId);
      s.floor = b.getLong();
      s.lastIndex = b.getLong();
      s.lastMillis = b.getLong();
      int n = b.getInt();
      for (int i = 0; i < n; i++) {
        long seq = b.getLong();
        byte[] r = new byte[b.getInt()];
        b.get(r);
        s.results.put(seq, r);
      }
      return s;
    } catch (RuntimeException e) {
      throw new IllegalStateException("undecodable exactly-once record of client " + clientId, e);
    }
  }
}
