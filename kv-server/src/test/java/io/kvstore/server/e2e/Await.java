package io.kvstore.server.e2e;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded condition waits for cluster tests: poll a condition until it holds or the time is up. */
public final class Await {
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private Await() {}

  /** Waits until {@code condition} holds; fails with {@code what} after {@code timeout}. */
  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /**
   * The first result of {@code call} that does not fail with a retryable status (UNAVAILABLE: no leader
   * yet, or a node restarting; DEADLINE_EXCEEDED; RESOURCE_EXHAUSTED), retrying until {@code timeout}.
   * Any other failure is thrown at once.
   */
  public static <T> T value(Duration timeout, Supplier<T> call) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        boolean retryable =
            code == Status.Code.UNAVAILABLE
                || code == Status.Code.DEADLINE_EXCEEDED
                || code == Status.Code.RESOURCE_EXHAUSTED;
        if (!retryable || System.nanoTime() - deadline > 0) {
          throw e;
        }
        LockSupport.parkNanos(POLL_NANOS);
      }
    }
  }
}
