package io.kvstore.client;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The instant by which a call must finish, on a monotonic clock ({@link System#nanoTime} unless a test
 * injects another). Immutable.
 */
public final class Deadline {
  private final LongSupplier nanoClock;
  private final long expiresAtNanos;
  private final Duration budget;

  private Deadline(LongSupplier nanoClock, long expiresAtNanos, Duration budget) {
    this.nanoClock = nanoClock;
    this.expiresAtNanos = expiresAtNanos;
    this.budget = budget;
  }

  /** A deadline {@code budget} from now on the system's monotonic clock. */
  public static Deadline after(Duration budget) {
    return after(budget, System::nanoTime);
  }

  /** A deadline {@code budget} from now on {@code nanoClock}. */
  public static Deadline after(Duration budget, LongSupplier nanoClock) {
    return new Deadline(nanoClock, nanoClock.getAsLong() + budget.toNanos(), budget);
  }

  /** Nanoseconds left; 0 or less once expired. */
  public long remainingNanos() {
    return expiresAtNanos - nanoClock.getAsLong();
  }

  public boolean expired() {
    return remainingNanos() <= 0;
  }

  /** The whole budget the deadline was created with (for messages). */
  public Duration budget() {
    return budget;
  }
}
