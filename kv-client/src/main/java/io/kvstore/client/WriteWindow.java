package io.kvstore.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a client's writes to each shard within the shard's exactly-once window ({@code
 * ClusterMap.limits.write_window}, W): a shard remembers the results of a client's W highest sequences,
 * and a retry below them is refused for good (its outcome can no longer be told). Writes beyond the limit
 * wait here, in order, instead of being sent.
 *
 * <p>Why this is enough: a write gets its sequence when it is admitted, from the client's one counter, so
 * on each shard sequences grow in admission order. A write is admitted to a shard only while the writes
 * admitted there since its oldest unfinished one number fewer than W. So while a write s is unfinished (and
 * may be retried), fewer than W writes with a higher sequence were ever sent to its shard: s's result, once
 * recorded, is among the W highest there and is kept; before it is recorded, every result the shard forgot
 * was below s. (It counts admissions, not writes in flight: a write stuck in retries holds back the shard's
 * later writes once W - 1 more were admitted after it, however many of them finished.)
 *
 * <p>Writes whose shard is unknown (a map without shards) share the bucket of shard 0.
 *
 * <p>Thread-safe. Futures are completed outside the lock; a ticket must be released exactly once.
 */
final class WriteWindow {

  /** An admitted write: its place in its shard's admission order, and its sequence number. */
  record Ticket(long shardId, long ordinal, long sequence) {}

  private static final class Waiter {
    final CompletableFuture<Ticket> admitted = new CompletableFuture<>();
    final int window;

    Waiter(int window) {
      this.window = window;
    }
  }

  private static final class Shard {
    long nextOrdinal;
    /** Ordinals admitted and not released, ascending. */
    final TreeSet<Long> unfinished = new TreeSet<>();
    final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    boolean hasRoom(int window) {
      return unfinished.isEmpty() || nextOrdinal - unfinished.first() < window;
    }
  }

  private final AtomicLong sequence;
  private final Map<Long, Shard> shards = new ConcurrentHashMap<>();

  /** @param sequence the client's sequence counter (the last number handed out) */
  WriteWindow(AtomicLong sequence) {
    this.sequence = sequence;
  }

  /**
   * Completes with a ticket once a write to {@code shardId} fits in a window of {@code window} (at once
   * when it fits now). The caller may complete the future exceptionally to give up waiting (a deadline);
   * a ticket handed out after that is released here.
   */
  CompletableFuture<Ticket> admit(long shardId, int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be 1 or more, got " + window);
    }
    Shard s = shards.computeIfAbsent(shardId, id -> new Shard());
    Waiter w = new Waiter(window);
    List<Admitted> ready;
    synchronized (s) {
      s.waiting.add(w);
      ready = drain(shardId, s);
    }
    complete(ready);
    return w.admitted;
  }

  /** Ends the write of {@code ticket} (answered, failed or given up): later writes may go. */
  void release(Ticket ticket) {
    Shard s = shards.get(ticket.shardId());
    List<Admitted> ready;
    synchronized (s) {
      if (!s.unfinished.remove(ticket.ordinal())) {
        throw new IllegalStateException("ticket released twice: " + ticket);
      }
      ready = drain(ticket.shardId(), s);
    }
    complete(ready);
  }

  /** Writes of {@code shardId} admitted and not released (tests, diagnostics). */
  int unfinished(long shardId) {
    Shard s = shards.get(shardId);
    if (s == null) {
      return 0;
    }
    synchronized (s) {
      return s.unfinished.size();
    }
  }

  private record Admitted(Waiter waiter, Ticket ticket) {}

  /** Admits waiters in order while they fit; called with the shard's lock held. */
  private List<Admitted> drain(long shardId, Shard s) {
    List<Admitted> out = null;
    while (!s.waiting.isEmpty()) {
      Waiter w = s.waiting.peekFirst();
      if (w.admitted.isDone()) {
        s.waiting.pollFirst();
        continue;
      }
      if (!s.hasRoom(w.window)) {
        break;
      }
      s.waiting.pollFirst();
      long ordinal = s.nextOrdinal++;
      s.unfinished.add(ordinal);
      if (out == null) {
        out = new ArrayList<>();
      }
      out.add(new Admitted(w, new Ticket(shardId, ordinal, sequence.incrementAndGet())));
    }
    return out == null ? List.of() : out;
  }

  private void complete(List<Admitted> ready) {
    for (Admitted a : ready) {
      if (!a.waiter().admitted.complete(a.ticket())) {
        release(a.ticket()); // it gave up meanwhile
      }
    }
  }
}
