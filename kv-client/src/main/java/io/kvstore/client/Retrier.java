package io.kvstore.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a call under the {@link RetryPolicy}: the one retry loop of the client, shared by every operation.
 *
 * <p>An attempt is a function of the attempt number and the call's deadline that returns a future; it does
 * its own routing and learns from its own failures (a NotLeader names the leader, an unreachable node is
 * avoided) before failing, so the next attempt already routes better. The retrier only decides whether and
 * when to make the next attempt ({@link Failure#classify}), and completes the call's future with the first
 * success or a {@link KvException} naming the last failure.
 *
 * <p>Thread-safe. Attempts start on the caller's thread (the first) or the scheduler's thread (after a
 * backoff) or the thread that completed the previous attempt (an immediate retry); attempts must not block.
 */
public final class Retrier {

  /** One attempt of a call. */
  @FunctionalInterface
  public interface Attempt<T> {
    /**
     * Starts attempt {@code number} (1 for the first). Must not block; returns a future that fails with the
     * attempt's gRPC error.
     */
    CompletableFuture<T> start(int number, Deadline deadline);
  }

  private final RetryPolicy policy;
  private final ScheduledExecutorService scheduler;
  private final SplittableRandom random;

  /**
   * @param scheduler runs delayed attempts; owned by the caller
   * @param jitterSeed seeds the jitter (the same seed gives the same delays for the same failures)
   */
  public Retrier(RetryPolicy policy, ScheduledExecutorService scheduler, long jitterSeed) {
    this.policy = policy;
    this.scheduler = scheduler;
    this.random = new SplittableRandom(jitterSeed);
  }

  public RetryPolicy policy() {
    return policy;
  }

  /** Runs {@code attempt} until it succeeds, fails fatally, or the policy gives up. */
  public <T> CompletableFuture<T> run(String operation, Deadline deadline, Attempt<T> attempt) {
    CompletableFuture<T> result = new CompletableFuture<>();
    new Call<>(operation, deadline, attempt, result).next(1);
    return result;
  }

  private long nextDelay(int failed, long remaining, boolean immediate) {
    synchronized (random) {
      return policy.nextDelayNanos(failed, remaining, immediate, random);
    }
  }

  private long nextLeaderWaitDelay(int leaderWaits, long remaining) {
    synchronized (random) {
      return policy.nextLeaderWaitDelayNanos(leaderWaits, remaining, random);
    }
  }

  private final class Call<T> {
    final String operation;
    final Deadline deadline;
    final Attempt<T> attempt;
    final CompletableFuture<T> result;
    boolean anyNodeAnswered;
    /** The previous retry went without delay: the next redirect backs off (see RetryPolicy). */
    boolean lastRetryImmediate;
    /** Failed attempts that meant "waiting for a leader" (see RetryPolicy#nextLeaderWaitDelayNanos). */
    int leaderWaits;

    Call(String operation, Deadline deadline, Attempt<T> attempt, CompletableFuture<T> result) {
      this.operation = operation;
      this.deadline = deadline;
      this.attempt = attempt;
      this.result = result;
    }

    void next(int number) {
      if (result.isDone()) {
        return; // cancelled by the caller
      }
      CompletableFuture<T> f;
      try {
        f = attempt.start(number, deadline);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete((value, error) -> {
        if (error == null) {
          result.complete(value);
        } else {
          onFailure(number, error);
        }
      });
    }

    void onFailure(int number, Throwable error) {
      Throwable cause = Failure.unwrap(error);
      if (cause instanceof KvException kv) { // an attempt that already decided (e.g. no map at all)
        result.completeExceptionally(kv);
        return;
      }
      Failure failure = Failure.classify(cause);
      anyNodeAnswered |= failure.answered();
      if (!failure.kind().retryable()) {
        result.completeExceptionally(new KvException(failure.status().getCode(),
            operation + " failed: " + failure.describe(), number, anyNodeAnswered, cause));
        return;
      }
      boolean immediate = !lastRetryImmediate
          && (failure.kind() == Failure.Kind.REDIRECT || failure.kind() == Failure.Kind.STALE_EPOCH);
      lastRetryImmediate = immediate;
      long remaining = deadline.remainingNanos();
      boolean leaderWait = failure.kind() == Failure.Kind.NO_LEADER
          || failure.kind() == Failure.Kind.NODE_UNAVAILABLE;
      long delay = leaderWait ? nextLeaderWaitDelay(++leaderWaits, remaining)
          : nextDelay(number - leaderWaits, remaining, immediate);
      if (delay < 0) {
        boolean countLeft = leaderWait ? leaderWaits < 4 * policy.maxAttempts()
            : number - leaderWaits < policy.maxAttempts();
        result.completeExceptionally(giveUp(number, remaining <= 0 || countLeft, failure, cause));
      } else if (delay == 0) {
        next(number + 1);
      } else {
        try {
          scheduler.schedule(() -> next(number + 1), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) { // the client was closed during the backoff
          result.completeExceptionally(new KvException(Status.Code.CANCELLED,
              operation + " was cancelled: the client is closed", number, anyNodeAnswered, cause));
        }
      }
    }

    KvException giveUp(int attempts, boolean outOfTime, Failure last, Throwable cause) {
      // Out of time: DEADLINE_EXCEEDED, unless every sign was of unreachable nodes (UNAVAILABLE).
      Status.Code code = last.status().getCode();
      if (outOfTime && code != Status.Code.UNAVAILABLE) {
        code = Status.Code.DEADLINE_EXCEEDED;
      }
      String why = outOfTime
          ? "did not complete within its deadline of " + format(deadline.budget())
          : "gave up after " + attempts + " attempts";
      return new KvException(code, operation + " " + why + " (" + attempts + " attempts; last error "
          + last.describe() + ")", attempts, anyNodeAnswered, cause);
    }
  }

  static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
