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
 * data it guards (so both survive or vanish together, and snapshots carry it): a header per client and one
 * record per remembered result, so a write adds two small records, never a rewrite of the client's
 * window. Eviction depends only on
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
    byte[] encoded = ResultCodec.encode(result);
    s.results.put(sequence, encoded);
    writer.putSystem(resultKey(clientId, sequence), encoded);
    while (s.results.size() > limits.resultsPerClient()) {
      long forgotten = s.results.pollFirstEntry().getKey();
      s.floor = Math.max(s.floor, forgotten);
      writer.deleteSystem(resultKey(clientId, forgotten));
    }
    byAge.add(s);
    writer.putSystem(key(clientId), encodeHeader(s));
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
    Map<Long, NavigableMap<Long, byte[]>> separate = new HashMap<>();
    for (Map.Entry<byte[], byte[]> r : records) {
      byte[] k = r.getKey();
      if (k.length == 9 && k[0] == PREFIX) {
        Session s = decode(ByteBuffer.wrap(k, 1, 8).getLong(), r.getValue());
        sessions.put(s.clientId, s);
      } else if (k.length == 17 && k[0] == PREFIX) {
        ByteBuffer b = ByteBuffer.wrap(k, 1, 16);
        separate.computeIfAbsent(b.getLong(), c -> new TreeMap<>()).put(b.getLong(), r.getValue());
      }
    }
    separate.forEach((clientId, results) -> {
      Session s = sessions.get(clientId);
      if (s != null) {
        s.results.putAll(results);
      }
    });
    sessions.values().forEach(byAge::add);
  }

  private void drop(Session s, ShardWriter writer) {
    byAge.remove(s);
    sessions.remove(s.clientId);
    for (long sequence : s.results.keySet()) {
      writer.deleteSystem(resultKey(s.clientId, sequence));
    }
    writer.deleteSystem(key(s.clientId));
  }

  static byte[] key(long clientId) {
    return ByteBuffer.allocate(9).put(PREFIX).putLong(clientId).array();
  }

  /** The record of one remembered result: {@code 's' clientId(8) sequence(8)}. */
  static byte[] resultKey(long clientId, long sequence) {
    return ByteBuffer.allocate(17).put(PREFIX).putLong(clientId).putLong(sequence).array();
  }

  /**
   * The session's header: {@code floor(8) lastIndex(8) lastMillis(8) count(4)}, count 0. Each result is a
   * record of its own ({@link #resultKey}), so a write costs two small records whatever the window size.
   * (Data dirs of the first version hold the results inside the header, after the count: still read.)
   */
  private static byte[] encodeHeader(Session s) {
    return ByteBuffer.allocate(28).putLong(s.floor).putLong(s.lastIndex).putLong(s.lastMillis).putInt(0)
        .array();
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
