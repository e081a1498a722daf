package io.kvstore.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A leader's heartbeat rounds, and the ReadIndex requests waiting for one (Raft §6.4).
 *
 * <p>Every heartbeat broadcast is a new round {@code r}, sent at tick {@code t(r)}. Once a quorum echoed
 * round {@code r}, the leader knows it was still the leader when round {@code r} was sent, which confirms
 * every read registered before the round was sent, and starts a lease at {@code t(r)}.
 */
final class ReadTracker {
  /**
   * A read waiting for a heartbeat round. {@code from} is the follower that forwarded it, or 0;
   * {@code allowLease}: the caller lets a valid lease answer it.
   */
  record PendingRead(long round, long index, byte[] context, long from, boolean allowLease) {}

  private long round;
  /** (round, tick sent) of rounds newer than the latest quorum-acknowledged one. */
  private final ArrayDeque<long[]> sent = new ArrayDeque<>(0);
  private final ArrayDeque<PendingRead> pending = new ArrayDeque<>(0);
  private long quorumRound;
  private long quorumRoundTick = Long.MIN_VALUE / 2;
  /** Rounds up to this one start no lease (sent before {@link #expireLease}: their ticks are suspect). */
  private long leaseFloorRound;

  /** Starts a new round at {@code tick}; returns its number. */
  long nextRound(long tick) {
    round++;
    sent.addLast(new long[] {round, tick});
    if (sent.size() > 1024) {
      sent.removeFirst(); // rounds nobody answered for a long time cannot give a lease worth keeping
    }
    return round;
  }

  long currentRound() {
    return round;
  }

  void add(PendingRead read) {
    pending.addLast(read);
  }

  boolean hasPending() {
    return !pending.isEmpty();
  }

  /** A quorum has now echoed {@code r}; returns the reads it confirms. */
  List<PendingRead> quorumAcked(long r) {
    if (r > quorumRound) {
      quorumRound = r;
      while (!sent.isEmpty() && sent.peekFirst()[0] <= r) {
        long[] s = sent.removeFirst();
        if (s[0] == r && r > leaseFloorRound) {
          quorumRoundTick = s[1];
        }
      }
    }
    if (pending.isEmpty() || pending.peekFirst().round() > quorumRound) {
      return List.of();
    }
    List<PendingRead> out = new ArrayList<>();
    while (!pending.isEmpty() && pending.peekFirst().round() <= quorumRound) {
      out.add(pending.removeFirst());
    }
    return out;
  }

  /** The latest round a quorum acknowledged. */
  long quorumRound() {
    return quorumRound;
  }

  /** The followers that forwarded a read still waiting for its round. */
  Set<Long> pendingForwarders() {
    Set<Long> from = new HashSet<>();
    for (PendingRead r : pending) {
      if (r.from() != 0) {
        from.add(r.from());
      }
    }
    return from;
  }

  /** The tick at which the latest quorum-acknowledged round was sent (lease start). */
  long quorumRoundTick() {
    return quorumRoundTick;
  }

  /**
   * Voids the lease: it starts again only from a round sent after this call and acknowledged by a quorum.
   * Rounds already sent still confirm the reads registered before them (that needs no clock).
   */
  void expireLease() {
    quorumRoundTick = Long.MIN_VALUE / 2;
    leaseFloorRound = round;
  }

  /** Forgets everything (new term or lost leadership): pending reads are dropped, not answered. */
  void reset() {
    sent.clear();
    pending.clear();
    quorumRound = round;
    quorumRoundTick = Long.MIN_VALUE / 2;
  }
}
