package io.kvstore.bench.scaling;

import io.kvstore.bench.load.KeySpace;
import io.kvstore.client.KvClient;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes every key of a key space once, {@code inFlight} puts at a time, and goes on past failed puts
 * (counted), unlike the load generator's {@code KeyLoader}, which stops at the first failure because its
 * runs need every key. A memory figure needs the data there, not every single put. Bounded by a timeout.
 */
final class BulkLoad {
  /** @param written puts that succeeded; {@code failed} puts that failed; {@code finished} all issued and done */
  record Outcome(long written, long failed, boolean finished, String firstFailure) {}

  private BulkLoad() {}

  static Outcome load(KvClient client, KeySpace keys, int inFlight, Duration timeout) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicLong written = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicReference<Throwable> first = new AtomicReference<>();
    int lanes = Math.min(inFlight, keys.keyCount());
    CountDownLatch done = new CountDownLatch(lanes);
    for (int lane = 0; lane < lanes; lane++) {
      lane(client, keys, new SplittableRandom(lane), next, written, failed, first, done);
    }
    boolean finished = done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    next.set(Integer.MAX_VALUE / 2); // stops the lanes when time ran out
    return new Outcome(written.get(), failed.get(), finished, String.valueOf(first.get()));
  }

  private static void lane(KvClient client, KeySpace keys, SplittableRandom random, AtomicInteger next,
      AtomicLong written, AtomicLong failed, AtomicReference<Throwable> first, CountDownLatch done) {
    int i = next.getAndIncrement();
    if (i >= keys.keyCount()) {
      done.countDown();
      return;
    }
    // The put completes on a transport thread, which continues the lane: no thread per lane.
    client.put(keys.key(i), keys.value(random)).whenComplete((r, e) -> {
      (e == null ? written : failed).incrementAndGet();
      if (e != null) {
        first.compareAndSet(null, e);
      }
      lane(client, keys, random, next, written, failed, first, done);
    });
  }
}
