package io.kvstore.bench.load;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.SplittableRandom;

/**
 * Writes every key once before the first workload that reads, so reads find values and compare-and-swaps
 * know versions. Same closed loop as a run: {@code inFlight} puts outstanding, spread over the clients.
 */
public final class KeyLoader {
  private KeyLoader() {}

  /**
   * Loads every key of {@code keys} into {@code target}, unless it was loaded already. Blocks until done.
   *
   * @throws IllegalStateException if any put failed or the load did not finish within {@code timeout}
   */
  public static void load(BenchTarget target, KeySpace keys, int inFlight, Duration timeout, long seed)
      throws InterruptedException {
    if (target.loaded()) {
      return;
    }
    int n = keys.keyCount();
    int lanes = Math.min(inFlight, n);
    AtomicInteger next = new AtomicInteger();
    AtomicLong failures = new AtomicLong();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(lanes);
    List<KvDriver> clients = target.clients();
    for (int lane = 0; lane < lanes; lane++) {
      KvDriver driver = clients.get(lane % clients.size());
      SplittableRandom random = new SplittableRandom(seed + lane);
      putNext(driver, keys, target, next, random, failures, firstFailure, done);
    }
    if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          "loading " + n + " keys into " + target.name() + " did not finish within " + timeout.toSeconds()
              + " s (" + Math.min(next.get(), n) + " issued)");
    }
    if (failures.get() > 0) {
      throw new IllegalStateException(
          failures.get() + " of " + n + " puts failed while loading keys into " + target.name()
              + "; the first: " + firstFailure.get(),
          firstFailure.get());
    }
    target.markLoaded();
  }

  private static void putNext(
      KvDriver driver, KeySpace keys, BenchTarget target, AtomicInteger next, SplittableRandom random,
      AtomicLong failures, AtomicReference<Throwable> firstFailure, CountDownLatch done) {
    // Iterative while puts complete synchronously (e.g. failing before being sent); otherwise the
    // completion callback continues the lane.
    while (true) {
      int i = next.getAndIncrement();
      if (i >= keys.keyCount() || failures.get() > 0) {
        done.countDown();
        return;
      }
      var f = driver.put(keys.key(i), keys.value(random));
      if (!f.isDone()) {
        f.whenComplete((version, error) -> {
          record(target, i, version, error, failures, firstFailure);
          putNext(driver, keys, target, next, random, failures, firstFailure, done);
        });
        return;
      }
      f.handle((version, error) -> {
        record(target, i, version, error, failures, firstFailure);
        return null;
      });
    }
  }

  private static void record(
      BenchTarget target, int i, Long version, Throwable error, AtomicLong failures,
      AtomicReference<Throwable> firstFailure) {
    if (error != null) {
      failures.incrementAndGet();
      firstFailure.compareAndSet(null, error);
    } else {
      target.versions().set(i, version);
    }
  }
}
