package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The one retry policy: exponential backoff with seeded jitter, bounded attempts, the deadline respected. */
class RetryPolicyTest {
  private static final long MS = 1_000_000L;
  private final RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(10), Duration.ofMillis(100), 2.0, 0.5);

  @Test
  void baseBackoffDoublesUpToTheCap() {
    assertThat(List.of(1, 2, 3, 4, 5, 6).stream().map(n -> policy.baseBackoffNanos(n) / MS).toList())
        .containsExactly(10L, 20L, 40L, 80L, 100L, 100L);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 1234567})
  void jitteredDelaysStayWithinTheirBandAndReplayFromTheSeed(long seed) {
    List<Long> first = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed);
    for (int failed = 1; failed <= 5; failed++) {
      long delay = policy.nextDelayNanos(failed, Long.MAX_VALUE, false, random);
      long base = policy.baseBackoffNanos(failed);
      assertThat(delay).isBetween(base / 2, base);
      first.add(delay);
    }
    SplittableRandom again = new SplittableRandom(seed);
    for (int failed = 1; failed <= 5; failed++) {
      assertThat(policy.nextDelayNanos(failed, Long.MAX_VALUE, false, again)).isEqualTo(first.get(failed - 1));
    }
  }

  @Test
  void jitterSpreadsClientsThatFailedTogether() {
    SplittableRandom random = new SplittableRandom(9);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 1000; i++) {
      long d = policy.nextDelayNanos(3, Long.MAX_VALUE, false, random);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    // Base 40 ms, jitter 0.5: the delays cover most of [20 ms, 40 ms].
    assertThat(min).isLessThan(22 * MS);
    assertThat(max).isGreaterThan(38 * MS);
  }

  @Test
  void givesUpAfterMaxAttempts() {
    SplittableRandom random = new SplittableRandom(1);
    assertThat(policy.nextDelayNanos(5, Long.MAX_VALUE, false, random)).isNotNegative();
    assertThat(policy.nextDelayNanos(6, Long.MAX_VALUE, false, random)).isEqualTo(-1);
    assertThat(policy.nextDelayNanos(6, Long.MAX_VALUE, true, random)).isEqualTo(-1);
  }

  @Test
  void neverSleepsPastTheDeadline() {
    SplittableRandom random = new SplittableRandom(1);
    // Base 80 ms (at least 40 ms with jitter), but only 30 ms left: give up now rather than fail later.
    assertThat(policy.nextDelayNanos(4, 30 * MS, false, random)).isEqualTo(-1);
    assertThat(policy.nextDelayNanos(1, 30 * MS, false, random)).isBetween(5 * MS, 10 * MS);
    assertThat(policy.nextDelayNanos(1, 0, true, random)).isEqualTo(-1);
  }

  @Test
  void aRedirectIsRetriedAtOnce() {
    assertThat(policy.nextDelayNanos(2, Long.MAX_VALUE, true, new SplittableRandom(1))).isZero();
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, 2, 0.5))
        .hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0.5))
        .hasMessageContaining("maxBackoff");
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 2, 1.5))
        .hasMessageContaining("jitter");
  }

  @Test
  void theRetrierStopsAtMaxAttemptsAndNamesTheLastError() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      Retrier retrier = new Retrier(
          new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(2), 2, 0.5), scheduler, 5);
      AtomicInteger attempts = new AtomicInteger();
      CompletableFuture<String> r = retrier.run("get", Deadline.after(Duration.ofSeconds(30)), (n, d) -> {
        attempts.incrementAndGet();
        return CompletableFuture.failedFuture(Status.ABORTED.withDescription("busy").asRuntimeException());
      });
      assertThatThrownBy(r::join).hasCauseInstanceOf(KvException.class).cause()
          .hasMessageContaining("gave up after 4 attempts").hasMessageContaining("busy");
      assertThat(attempts).hasValue(4);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void waitingForALeaderRetriesEveryHundredMillisecondsAtMostAndFourTimesAsOften() throws Exception {
    // The exponential delay would reach 1 s; while a leader is being elected (or the node tried is gone)
    // it stops at 100 ms, so a caller is not kept waiting long after the new leader took over.
    RetryPolicy p = new RetryPolicy(4, Duration.ofMillis(20), Duration.ofSeconds(1), 2, 0.5);
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int waits = 1; waits < 16; waits++) {
      long d = p.nextLeaderWaitDelayNanos(waits, Duration.ofSeconds(30).toNanos(), random);
      assertThat(d).isBetween(1L, RetryPolicy.LEADER_WAIT_CAP.toNanos());
    }
    assertThat(p.nextLeaderWaitDelayNanos(16, Duration.ofSeconds(30).toNanos(), random)).isEqualTo(-1);
    assertThat(p.nextDelayNanos(4, Duration.ofSeconds(30).toNanos(), false, random)).isEqualTo(-1);

    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      Retrier retrier = new Retrier(
          new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(2), 2, 0.5), scheduler, 5);
      AtomicInteger attempts = new AtomicInteger();
      CompletableFuture<String> r = retrier.run("get", Deadline.after(Duration.ofSeconds(30)), (n, d) -> {
        attempts.incrementAndGet();
        return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("no leader").asRuntimeException());
      });
      assertThatThrownBy(r::join).hasCauseInstanceOf(KvException.class).cause()
          .hasMessageContaining("gave up after 16 attempts").hasMessageContaining("no leader");
      assertThat(attempts).hasValue(16);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void theRetrierDoesNotRetryARefusal() {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      Retrier retrier = new Retrier(policy, scheduler, 5);
      AtomicInteger attempts = new AtomicInteger();
      CompletableFuture<String> r = retrier.run("put", Deadline.after(Duration.ofSeconds(30)), (n, d) -> {
        attempts.incrementAndGet();
        return CompletableFuture.failedFuture(
            Status.INVALID_ARGUMENT.withDescription("key too long").asRuntimeException());
      });
      assertThatThrownBy(r::join).cause().isInstanceOfSatisfying(KvException.class,
          e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT));
      assertThat(attempts).hasValue(1);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void theRetrierStopsAtTheDeadlineWithDeadlineExceeded() {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicLong now = new AtomicLong();
      Retrier retrier = new Retrier(new RetryPolicy(100, Duration.ofMillis(10), Duration.ofMillis(10), 1, 0),
          scheduler, 5);
      // A fake clock: each attempt "takes" 30 ms of a 100 ms deadline.
      Deadline deadline = Deadline.after(Duration.ofMillis(100), now::get);
      AtomicInteger attempts = new AtomicInteger();
      CompletableFuture<String> r = retrier.run("get", deadline, (n, d) -> {
        attempts.incrementAndGet();
        now.addAndGet(30 * MS);
        return CompletableFuture.failedFuture(Status.DEADLINE_EXCEEDED.asRuntimeException());
      });
      assertThatThrownBy(r::join).cause().isInstanceOfSatisfying(KvException.class, e -> {
        assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(e.getMessage()).contains("deadline of 100ms");
      });
      assertThat(attempts.get()).isBetween(3, 4);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void failuresAreClassifiedByWhatTheNextAttemptShouldDo() {
    assertThat(Failure.classify(Status.CANCELLED.withDescription("RST_STREAM").asRuntimeException()).kind())
        .isEqualTo(Failure.Kind.NODE_UNAVAILABLE);
    assertThat(Failure.classify(Status.UNAVAILABLE.withCause(new java.net.ConnectException("refused"))
        .asRuntimeException())).satisfies(f -> {
          assertThat(f.kind()).isEqualTo(Failure.Kind.NODE_UNAVAILABLE);
          assertThat(f.answered()).isFalse();
        });
    assertThat(Failure.classify(Status.UNAVAILABLE.withDescription("no leader").asRuntimeException()).answered())
        .isTrue();
    assertThat(Failure.classify(Status.DEADLINE_EXCEEDED.asRuntimeException()).kind())
        .isEqualTo(Failure.Kind.ATTEMPT_TIMEOUT);
    assertThat(Failure.classify(Status.INVALID_ARGUMENT.asRuntimeException()).kind().retryable()).isFalse();
    assertThat(Failure.classify(Status.FAILED_PRECONDITION.asRuntimeException()).kind().retryable()).isFalse();
    assertThat(Failure.classify(Status.RESOURCE_EXHAUSTED.asRuntimeException()).kind())
        .isEqualTo(Failure.Kind.BUSY);
  }
}
