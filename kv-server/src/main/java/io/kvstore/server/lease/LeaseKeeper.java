package io.kvstore.server.lease;

import io.kvstore.server.statemachine.LeaseTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The deadlines of one shard's leases, kept by the shard's leader on its own clock (lease.proto, "Expiry").
 * Deadlines are not replicated: only the expiry the leader proposes through the log changes the lease table,
 * so every replica deletes the same keys at the same index whatever its clock says.
 *
 * <p>Rules: a lease gets a full TTL when this replica first sees it as leader (a new leader cannot know how
 * much time the old one had left, so it never expires a lease early); a keep-alive
 * renews it to a full TTL; once a deadline passes the lease is reported due once, until its expiry fails
 * ({@link #expiryFinished}) and it may be reported again.
 *
 * <p>Threads: {@link #onTick} runs on the shard's loop thread; {@link #renew}, {@link #ttlLeftMillis} and
 * {@link #expiryFinished} from any thread. The clock is injected (nanoseconds, monotonic).
 */
public final class LeaseKeeper {
  private final LongSupplier clockNanos;
  private final Map<Long, Long> deadlines = new ConcurrentHashMap<>();
  private final Set<Long> expiring = ConcurrentHashMap.newKeySet();
  private final LeaseTable table;
  /** The term whose leader this replica is (deadlines are valid in it); 0 while not leading. */
  private volatile long leaderTerm;

  public LeaseKeeper(LeaseTable table, LongSupplier clockNanos) {
    this.table = table;
    this.clockNanos = clockNanos;
  }

  public LeaseTable table() {
    return table;
  }

  /**
   * One tick of the shard's loop.
   *
   * @param leaderTerm the term this replica leads, or 0 when it does not lead
   * @return the leases whose deadline passed (propose their expiry now)
   */
  public List<Long> onTick(long leaderTerm) {
    if (leaderTerm != this.leaderTerm) {
      // A new leadership (or none): forget the old deadlines; every lease starts again from a full TTL.
      deadlines.clear();
      expiring.clear();
      this.leaderTerm = leaderTerm;
    }
    if (leaderTerm == 0) {
      return List.of();
    }
    long now = clockNanos.getAsLong();
    deadlines.keySet().removeIf(id -> table.get(id) == null);
    List<Long> due = new ArrayList<>();
    for (LeaseTable.Lease l : table.all()) {
      long deadline = deadlines.computeIfAbsent(l.id(), id -> now + l.ttlMillis() * 1_000_000L);
      if (deadline - now <= 0 && expiring.add(l.id())) {
        due.add(l.id());
      }
    }
    return due;
  }

  /**
   * Renews a lease to a full TTL (a keep-alive).
   *
   * @return the TTL granted in milliseconds; empty when the lease is unknown or already being expired;
   *     throws nothing. The caller checks leadership (this only knows the last tick's view).
   */
  public OptionalLong renew(long id) {
    LeaseTable.Lease l = table.get(id);
    if (l == null || expiring.contains(id) || leaderTerm == 0) {
      return OptionalLong.empty();
    }
    deadlines.put(id, clockNanos.getAsLong() + l.ttlMillis() * 1_000_000L);
    return OptionalLong.of(l.ttlMillis());
  }

  /** Milliseconds left before the lease is due (its full TTL if this leader has not ticked since it saw it). */
  public OptionalLong ttlLeftMillis(long id) {
    LeaseTable.Lease l = table.get(id);
    if (l == null) {
      return OptionalLong.empty();
    }
    Long deadline = deadlines.get(id);
    if (deadline == null) {
      return OptionalLong.of(l.ttlMillis());
    }
    return OptionalLong.of(Math.max(0, (deadline - clockNanos.getAsLong()) / 1_000_000L));
  }

  /** The expiry proposed for {@code id} finished (applied, or failed: then it is reported due again). */
  public void expiryFinished(long id) {
    expiring.remove(id);
  }

  /** Whether this replica led at its last tick. */
  public boolean leading() {
    return leaderTerm != 0;
  }
}
