package io.kvstore.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When to try a failed call again: exponential backoff with jitter, a bounded number of attempts, and never
 * past the call's deadline. One policy serves every operation of a client (see {@link Retrier}, which runs
 * it); it only decides, it does not sleep or send.
 *
 * <p>After the {@code n}-th failed attempt ({@code n >= 1}) the base delay is
 * {@code min(maxBackoff, initialBackoff * multiplier^(n-1))}, and the delay is drawn uniformly from
 * {@code [base * (1 - jitter), base]} ("equal jitter" when jitter is 0.5): clients that failed together do
 * not retry together, and the delay never exceeds the cap. A redirect to a known leader is retried without
 * delay (it is not a sign of overload), but still counts as an attempt. Only one such retry in a row goes
 * without delay: right after a leader dies, its followers keep naming it until an election ends, and
 * retrying at once would spend every attempt in a few milliseconds of ping-pong (the caller decides this:
 * see {@code Retrier}).
 *
 * <p>Immutable and thread-safe; the random generator is the caller's (seed it in tests).
 */
public final class RetryPolicy {

  /**
   * 16 attempts, 20 ms doubling up to 1 s, jitter 0.5: at least about 5 s of backoff in all, so a call
   * rides out a Raft election on a loaded machine and usually ends at its deadline, not at the count.
   */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(16, Duration.ofMillis(20), Duration.ofSeconds(1), 2.0, 0.5);

  private final int maxAttempts;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final double multiplier;
  private final double jitter;

  /**
   * @param maxAttempts attempts in all, the first included (1 = never retry)
   * @param initialBackoff the base delay after the first failure
   * @param maxBackoff the cap of the base delay
   * @param multiplier growth of the base delay per failure, 1 or more
   * @param jitter the fraction of the base delay that is random, in [0, 1]
   */
  public RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier,
      double jitter) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be 1 or more, got " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff, got " + initialBackoff
          + " and " + maxBackoff);
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("multiplier must be 1 or more, got " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be in [0, 1], got " + jitter);
    }
    this.maxAttempts = maxAttempts;
    this.initialBackoffNanos = initialBackoff.toNanos();
    this.maxBackoffNanos = maxBackoff.toNanos();
    this.multiplier = multiplier;
    this.jitter = jitter;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  /** The base (jitter-free) delay after {@code failedAttempts} failures, capped. */
  public long baseBackoffNanos(int failedAttempts) {
    double base = initialBackoffNanos * Math.pow(multiplier, Math.max(0, failedAttempts - 1));
    return base >= maxBackoffNanos ? maxBackoffNanos : (long) base;
  }

  /**
   * The delay before the next attempt, or -1 when the call must give up now.
   *
   * @param failedAttempts attempts made so far, all failed (1 or more)
   * @param remainingNanos time left before the call's deadline
   * @param immediate the failure was a redirect to a known leader: retry at once
   * @param random the jitter source
   * @return -1 when {@code failedAttempts >= maxAttempts}, or when the deadline would pass before (or
   *     right at) the next attempt; otherwise the delay in nanoseconds
   */
  public long nextDelayNanos(int failedAttempts, long remainingNanos, boolean immediate,
      RandomGenerator random) {
    if (failedAttempts >= maxAttempts || remainingNanos <= 0) {
      return -1;
    }
    if (immediate) {
      return 0;
    }
    long base = baseBackoffNanos(failedAttempts);
    long delay = base - (long) (base * jitter * random.nextDouble());
    // An attempt that would start with (almost) no time left cannot succeed: stop and report the failure.
    return delay >= remainingNanos ? -1 : delay;
  }

  /**
   * The delay before the next attempt after a failure that means "waiting for a leader": the shard is
   * electing one (NO_LEADER) or the node tried is gone (NODE_UNAVAILABLE, e.g. the leader was killed).
   * A new leader usually takes over within a few hundred milliseconds, so the exponential delay is capped
   * at {@link #LEADER_WAIT_CAP} there (etcd's client retries every 25 ms): a longer sleep would only add
   * to the outage the caller sees. Such waits are bounded by the deadline and by four times
   * {@code maxAttempts} (about 6 s at the cap by default), not by {@code maxAttempts} itself.
   *
   * @param leaderWaits failed attempts of this kind so far (1 or more)
   * @return -1 when the call must give up now, otherwise the delay in nanoseconds
   */
  public long nextLeaderWaitDelayNanos(int leaderWaits, long remainingNanos, RandomGenerator random) {
    if (leaderWaits >= 4L * maxAttempts || remainingNanos <= 0) {
      return -1;
    }
    long base = Math.min(baseBackoffNanos(leaderWaits), Math.min(LEADER_WAIT_CAP.toNanos(), maxBackoffNanos));
    long delay = base - (long) (base * jitter * random.nextDouble());
    return delay >= remainingNanos ? -1 : delay;
  }

  /** The longest delay between attempts while waiting for a leader; see {@link #nextLeaderWaitDelayNanos}. */
  public static final Duration LEADER_WAIT_CAP = Duration.ofMillis(100);

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts=" + maxAttempts + ", initial=" + Duration.ofNanos(initialBackoffNanos)
        + ", max=" + Duration.ofNanos(maxBackoffNanos) + ", multiplier=" + multiplier + ", jitter=" + jitter
        + "}";
  }
}
