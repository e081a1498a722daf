package io.kvstore.bench.coordination;

import com.google.protobuf.ByteString;
import io.kvstore.bench.load.LatencySummary;
import io.kvstore.client.Coordination;
import io.kvstore.client.KvClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Contended hand-off: {@code waiters} threads, each with its own lease, queue for one lock; the holder
 * releases at once and queues again. A hand-off's latency runs from the moment the holder sends its release
 * to the moment the next holder's acquire returns: the release's Raft round, the hand-off applied in the
 * same entry, and the answer to the waiter.
 */
final class LockHandOff {
  /** One run's figures. */
  record Result(int waiters, long handOffs, double handOffsPerSecond, LatencySummary latency, long errors,
                String firstError) {
  }

  private LockHandOff() {
  }

  static Result measure(KvClient client, int waiters, Duration warmup, Duration measured) throws InterruptedException {
    Coordination c = client.coordination();
    ByteString lock = ByteString.copyFromUtf8("bench-handoff{h}");
    long ttl = UncontendedLocks.leaseTtlMillis(warmup, measured);
    long[] leases = new long[waiters];
    for (int i = 0; i < waiters; i++) {
      leases[i] = Coordination.await(c.grantLease(lock, ttl)).getId();
    }
    Latencies latencies = new Latencies();
    AtomicLong handOffs = new AtomicLong();
    AtomicLong releaseSentAt = new AtomicLong(); // 0: nobody released yet
    Window window = Window.startingNow(warmup, measured);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < waiters; i++) {
      long lease = leases[i];
      Thread t = new Thread(() -> {
        while (!window.over()) {
          try {
            Coordination.await(c.acquire(lock, lease, Duration.ofSeconds(30)));
            long now = System.nanoTime();
            long released = releaseSentAt.get();
            if (released != 0 && window.measures(released)) {
              latencies.record(now - released);
              handOffs.incrementAndGet();
            }
            releaseSentAt.set(System.nanoTime());
            Coordination.await(c.release(lock, lease));
          } catch (RuntimeException e) {
            if (window.measures(System.nanoTime())) {
              latencies.error(e);
            }
            releaseSentAt.set(0);
          }
        }
      }, "bench-handoff-" + i);
      threads.add(t);
      t.start();
    }
    window.awaitEnd();
    for (Thread t : threads) {
      t.join(60_000); // the queue drains: each waiter gets the lock once more, releases it and stops
    }
    for (long lease : leases) {
      c.revokeLease(lease).exceptionally(e -> null);
    }
    return new Result(waiters, handOffs.get(), handOffs.get() / window.measuredSeconds(), latencies.summary(),
        latencies.errors(), latencies.firstError());
  }
}
