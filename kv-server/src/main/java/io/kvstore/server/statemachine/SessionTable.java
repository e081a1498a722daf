package io.kvstore.server.statemachine;

import io.kvstore.server.replica.CommandResult;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The exactly-once table of one shard (Raft thesis §6.3, "Implementing linearizable semantics"): for each
 * client id, the results of its latest writes by sequence number, so a write retried after a timeout or a
 * leader change is answered with its original result instead of being applied again.
 *
 * <p>It is part of the replicated state: every replica holds the same table because every change to it is
 * decided by log entries only. Each change is written as shard system records in the same batch as the
 * data it guards (so both survive or vanish together, and snapshots carry them), and eviction depends only
 * on what the log says (entry indexes and the leader's timestamps in the entries), never on a replica's
 * own clock or memory layout. So the bounds must be the same on every replica: the node takes the window
 * from the cluster map ({@code Limits.write_window}), fixed when the cluster was bootstrapped.
 *
 * <p>Bounds: the window, at most {@link Limits#resultsPerClient} results per client (its highest
 * sequences; an older sequence is then "superseded": its outcome can no longer be told, so a retry of
 * it is refused, never re-applied), at most {@link Limits#maxClients} clients (the least recently written
 * one is dropped), and a client silent for {@link Limits#ttlMillis} (by the entries' timestamps) is
 * dropped. A retry arriving after its client was dropped is applied again: clients must not retry for
 * longer than the TTL. A client that keeps at most the window's number of writes in flight per shard
 * (sending each new write with a higher sequence than all before it) never has a retry superseded: the
 * Java client does (its {@code WriteWindow}).
 *
 * <p>Records, one per result so that a write costs O(1) bytes whatever the window:
 * <ul>
 *   <li>{@code 's' client(8)} → {@code floor(8) lastIndex(8) lastMillis(8) count(4)}, with {@code count}
 *       results inline ({@code seq(8) len(4) result}); written with count 0 now, inline results are read
 *       from stores written before the per-result records;</li>
 *   <li>{@code 'r' client(8) seq(8)} → the result ({@link ResultCodec}).</li>
 * </ul>
 *
 * <p>The header ({@code 's'}) is not rewritten by every write: only when the session starts, and then
 * when {@link #HEADER_EVERY_ENTRIES} entries or {@link #HEADER_EVERY_MILLIS} of entry time passed since
 * it was last written (under write load it was one of three records per write, with the value the
 * fourth). So a session's age ({@code lastIndex}, {@code lastMillis}: eviction order and TTL) is the one
 * its header holds, in memory as on disk, and its floor is the header's, raised by what the results tell:
 * once the window is full, a sequence below the lowest kept result is superseded too (within the
 * contract above such a write is never still in flight). Every replica, restarted or not, computes the
 * same answers from the same records: the header rule depends on log indexes and entry timestamps only.
 *
 * <p>Not thread-safe: used by the thread that applies the shard.
 */
public final class SessionTable {
  /** Bounds of the table; see the class comment. */
  public record Limits(int maxClients, int resultsPerClient, long ttlMillis) {
    /** The window of clusters whose map predates {@code Limits.write_window} (and of the 0 it reads as). */
    public static final int LEGACY_WINDOW = 64;
    /** The window of a new cluster unless configured otherwise. */
    public static final int DEFAULT_WINDOW = 1024;

    public Limits {
      if (maxClients < 1 || resultsPerClient < 1 || ttlMillis < 1) {
        throw new IllegalArgumentException("maxClients, resultsPerClient and ttlMillis must be positive");
      }
    }

    public static Limits defaults() {
      return new Limits(10_000, DEFAULT_WINDOW, 15 * 60_000L);
    }

    public Limits withResultsPerClient(int window) {
      return new Limits(maxClients, window, ttlMillis);
    }
  }

  /** What the table knows of a (client, sequence) pair. */
  public sealed interface Lookup {
    record Fresh() implements Lookup {}

    record Duplicate(CommandResult result) implements Lookup {}

    /**
     * At or below {@code floor}, the highest sequence whose result was forgotten to keep {@code window}
     * results: it may have been applied or not; never apply it again.
     */
    record Superseded(long floor, int window) implements Lookup {}
  }

  /** A busy session's header is rewritten at most once per this many entries of the shard ... */
  static final long HEADER_EVERY_ENTRIES = 1_000;
  /** ... or once per this much entry time (the TTL is minutes: its precision is not hurt). */
  static final long HEADER_EVERY_MILLIS = 1_000;

  static final byte PREFIX = 's';
  static final byte RESULT = 'r';
  private static final Lookup FRESH = new Lookup.Fresh();

  private static final class Session {
    final long clientId;
    /** Every sequence at or below it was forgotten (as of the header; see {@link #superseded}). */
    long floor;
    /** As of the header (see the class comment). */
    long lastIndex;
    long lastMillis;
    /** Loaded from a record with inline results: they are not yet in records of their own. */
    boolean inline;
    final ResultWindow results = new ResultWindow();

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

  public Limits limits() {
    return limits;
  }

  public Lookup lookup(long clientId, long sequence) {
    Session s = sessions.get(clientId);
    if (s == null) {
      return FRESH;
    }
    if (s.results.isEmpty() || sequence > s.results.lastSequence()) {
      // The common case, a client's next write: above every result kept, so only the header's floor
      // can supersede it, and no search is needed.
      return sequence > s.floor ? FRESH : new Lookup.Superseded(s.floor, limits.resultsPerClient());
    }
    byte[] r = s.results.get(sequence);
    if (r != null) {
      return new Lookup.Duplicate(ResultCodec.decode(r));
    }
    long floor = superseded(s);
    if (sequence <= floor) {
      return new Lookup.Superseded(floor, limits.resultsPerClient());
    }
    return FRESH;
  }

  /**
   * The highest sequence whose outcome can no longer be told: the header's floor, or, once the window is
   * full, everything below the lowest result kept (what was forgotten since the header was written).
   */
  private long superseded(Session s) {
    if (s.results.size() >= limits.resultsPerClient()) {
      return Math.max(s.floor, s.results.firstSequence() - 1);
    }
    return s.floor;
  }

  /** Remembers the result of (client, sequence), applied by the entry at {@code index}. */
  public void record(long clientId, long sequence, CommandResult result, long index, long atMillis,
      ShardWriter writer) {
    Session s = sessions.get(clientId);
    boolean header;
    if (s == null) {
      s = new Session(clientId);
      sessions.put(clientId, s);
      header = true;
    } else {
      header = s.inline
          || index - s.lastIndex >= HEADER_EVERY_ENTRIES
          || atMillis - s.lastMillis >= HEADER_EVERY_MILLIS;
    }
    if (s.inline) {
      for (int i = 0; i < s.results.size(); i++) {
        writer.putSystem(resultKey(clientId, s.results.sequenceAt(i)), s.results.resultAt(i));
      }
      s.inline = false;
    }
    byte[] encoded = ResultCodec.encode(result);
    s.results.put(sequence, encoded);
    writer.putSystem(resultKey(clientId, sequence), encoded);
    while (s.results.size() > limits.resultsPerClient()) {
      // Forgotten: below the kept results of a full window, hence within superseded(s) from now on.
      writer.deleteSystem(resultKey(clientId, s.results.removeFirst()));
    }
    if (header) {
      // The only place a session's age and floor change (see the class comment).
      byAge.remove(s);
      s.floor = superseded(s);
      s.lastIndex = index;
      s.lastMillis = Math.max(s.lastMillis, atMillis);
      byAge.add(s);
      writer.putSystem(key(clientId), encodeHeader(s));
    }
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
      if (k.length == 9 && k[0] == PREFIX) {
        Session s = decode(ByteBuffer.wrap(k, 1, 8).getLong(), r.getValue());
        sessions.put(s.clientId, s);
      }
    }
    for (Map.Entry<byte[], byte[]> r : records) {
      byte[] k = r.getKey();
      if (k.length == 17 && k[0] == RESULT) {
        ByteBuffer b = ByteBuffer.wrap(k, 1, 16);
        Session s = sessions.get(b.getLong());
        if (s != null) {
          s.results.put(b.getLong(), r.getValue());
        }
      }
    }
    byAge.addAll(sessions.values());
  }

  private void drop(Session s, ShardWriter writer) {
    byAge.remove(s);
    sessions.remove(s.clientId);
    for (int i = 0; i < s.results.size(); i++) {
      writer.deleteSystem(resultKey(s.clientId, s.results.sequenceAt(i)));
    }
    writer.deleteSystem(key(s.clientId));
  }

  static byte[] key(long clientId) {
    return ByteBuffer.allocate(9).put(PREFIX).putLong(clientId).array();
  }

  static byte[] resultKey(long clientId, long sequence) {
    return ByteBuffer.allocate(17).put(RESULT).putLong(clientId).putLong(sequence).array();
  }

  /** The session's header, its results being in records of their own: {@code floor lastIndex lastMillis 0}. */
  private static byte[] encodeHeader(Session s) {
    return ByteBuffer.allocate(28).putLong(s.floor).putLong(s.lastIndex).putLong(s.lastMillis).putInt(0)
        .array();
  }

  /** Reads a header record; results inline in it (stores written before per-result records) are kept. */
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
      s.inline = n > 0;
      return s;
    } catch (RuntimeException e) {
      throw new IllegalStateException("undecodable exactly-once record of client " + clientId, e);
    }
  }
}
