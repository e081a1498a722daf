package io.kvstore.bench.coordination;

import com.google.protobuf.ByteString;
import io.kvstore.bench.load.LatencySummary;
import io.kvstore.client.Coordination;
import io.kvstore.client.KvClient;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Uncontended acquire+release pairs per second: {@code inFlight} slots, each with its own lock (its own hash
 * tag, so the locks spread over the shards) and its own lease, each issuing acquire then release, again and
 * again, as a closed loop (the next pair starts when the previous one completes). Both calls are Raft
 * writes of the lock's shard, acknowledged once durable on a quorum; the acquire waits in the queue (the
 * blocking API), which an uncontended lock answers at once.
 *
 * <p>Side by side, the same loop with two plain puts per pair (each slot writing its own key, in its own
 * shard, as the locks do): the cost of two Raft writes on this machine at this moment, which the lock
 * figure should be read against.
 */
final class UncontendedLocks {
  /** One run's figures. */
  record Result(String pair, int inFlight, long pairs, double pairsPerSecond, LatencySummary pairLatency, long errors,
                String firstError) {
  }

  /** What one slot does per pair. */
  private interface Pair {
    java.util.concurrent.CompletableFuture<?> run(int slot);
  }

  private UncontendedLocks() {
  }

  /** Acquire+release pairs, each slot on its own lock. */
  static Result measure(KvClient client, int inFlight, Duration warmup, Duration measured) throws InterruptedException {
    Coordination c = client.coordination();
    long ttl = leaseTtlMillis(warmup, measured);
    ByteString[] locks = new ByteString[inFlight];
    long[] leases = new long[inFlight];
    for (int i = 0; i < inFlight; i++) {
      locks[i] = ByteString.copyFromUtf8("bench-lock{u" + i + "}");
      leases[i] = Coordination.await(c.grantLease(locks[i], ttl)).getId();
    }
    Result r = run("acquire+release", inFlight, warmup, measured,
        i -> c.acquire(locks[i], leases[i], Duration.ofSeconds(10)).thenCompose(x -> c.release(locks[i], leases[i])));
    for (int i = 0; i < inFlight; i++) {
      c.revokeLease(leases[i]).exceptionally(e -> null);
    }
    return r;
  }

  /** The baseline: two plain puts per pair, each slot on its own key (its own hash tag, as its lock). */
  static Result measurePuts(KvClient client, int inFlight, Duration warmup, Duration measured)
      throws InterruptedException {
    ByteString[] keys = new ByteString[inFlight];
    for (int i = 0; i < inFlight; i++) {
      keys[i] = ByteString.copyFromUtf8("bench-put{u" + i + "}");
    }
    ByteString value = ByteString.copyFrom(new byte[16]);
    return run("put+put", inFlight, warmup, measured,
        i -> client.put(keys[i], value).thenCompose(x -> client.put(keys[i], value)));
  }

  private static Result run(String name, int inFlight, Duration warmup, Duration measured, Pair pair)
      throws InterruptedException {
    Latencies latencies = new Latencies();
    AtomicLong pairs = new AtomicLong();
    CountDownLatch drained = new CountDownLatch(inFlight);
    Window window = Window.startingNow(warmup, measured);
    for (int i = 0; i < inFlight; i++) {
      cycle(pair, i, window, latencies, pairs, drained);
    }
    window.awaitEnd();
    if (!drained.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " pairs still running 30 s after the end");
    }
    return new Result(name, inFlight, pairs.get(), pairs.get() / window.measuredSeconds(), latencies.summary(),
        latencies.errors(), latencies.firstError());
  }

  private static void cycle(Pair pair, int slot, Window window, Latencies latencies, AtomicLong pairs,
                            CountDownLatch drained) {
    if (window.over()) {
      drained.countDown();
      return;
    }
    long started = System.nanoTime();
    pair.run(slot).whenComplete((r, e) -> {
      if (window.measures(started)) {
        if (e != null) {
          latencies.error(e);
        } else {
          latencies.record(System.nanoTime() - started);
          pairs.incrementAndGet();
        }
      }
      cycle(pair, slot, window, latencies, pairs, drained);
    });
  }

  /** Leases outlive the run without keep-alives (a minute more than it, within the one-hour maximum). */
  static long leaseTtlMillis(Duration warmup, Duration measured) {
    return Math.min(3_600_000, warmup.plus(measured).toMillis() + 60_000);
  }
}
