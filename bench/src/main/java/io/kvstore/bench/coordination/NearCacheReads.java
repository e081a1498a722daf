package io.kvstore.bench.coordination;

import com.google.protobuf.ByteString;
import io.kvstore.bench.load.LatencySummary;
import io.kvstore.client.KvClient;
import io.kvstore.client.NearCache;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Near-cache reads against reads that go to the cluster: {@code keys} keys under one prefix, loaded once;
 * {@code threads} threads each read a uniformly chosen key, one read at a time, for the measured window —
 * through a warmed {@link NearCache} (STALE reads, served from the cache while its watch is fresh), then
 * straight through the routing client with STALE and with LINEARIZABLE reads. Same keys, same threads.
 */
final class NearCacheReads {
  /** One way of reading. */
  record Row(String path, long reads, double readsPerSecond, LatencySummary latency, double hitRatio, long errors,
             String firstError) {
  }

  /** The rows, near-cache first. */
  record Result(int keys, int threads, List<Row> rows) {
  }

  private NearCacheReads() {
  }

  static Result measure(KvClient client, String watchAddress, int keys, int threads, Duration warmup,
                        Duration measured) throws InterruptedException {
    ByteString prefix = ByteString.copyFromUtf8("bench-near:");
    ByteString[] names = new ByteString[keys];
    ByteString value = ByteString.copyFrom(new byte[256]);
    List<CompletableFuture<?>> loading = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      names[i] = prefix.concat(ByteString.copyFromUtf8(String.format("%08d", i)));
      loading.add(client.put(names[i], value));
      if (loading.size() == 32) {
        loading.forEach(CompletableFuture::join);
        loading.clear();
      }
    }
    loading.forEach(CompletableFuture::join);
    List<Row> rows = new ArrayList<>();
    try (NearCache cache = NearCache.open(client, watchAddress, prefix, 2L * keys, Duration.ofSeconds(1))) {
      for (ByteString k : names) {
        cache.get(k, Consistency.CONSISTENCY_STALE).join();
      }
      long hitsBefore = cache.hits();
      Row near = run("near-cache (STALE)", names, threads, warmup, measured,
          k -> cache.get(k, Consistency.CONSISTENCY_STALE));
      double ratio = near.reads() == 0 ? 0 : Math.min(1.0, (cache.hits() - hitsBefore) / (double) near.reads());
      rows.add(new Row(near.path(), near.reads(), near.readsPerSecond(), near.latency(), ratio, near.errors(),
          near.firstError()));
    }
    rows.add(run("cluster, STALE", names, threads, warmup, measured, k -> client.get(k, Consistency.CONSISTENCY_STALE)));
    rows.add(run("cluster, LINEARIZABLE", names, threads, warmup, measured,
        k -> client.get(k, Consistency.CONSISTENCY_LINEARIZABLE)));
    return new Result(keys, threads, rows);
  }

  private static Row run(String path, ByteString[] keys, int threads, Duration warmup, Duration measured,
                         Function<ByteString, CompletableFuture<GetResponse>> read) throws InterruptedException {
    Latencies latencies = new Latencies();
    AtomicLong reads = new AtomicLong();
    AtomicLong warmReads = new AtomicLong();
    Window window = Window.startingNow(warmup, measured);
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      SplittableRandom random = new SplittableRandom(42 + t);
      Thread thread = new Thread(() -> {
        while (!window.over()) {
          long started = System.nanoTime();
          try {
            read.apply(keys[random.nextInt(keys.length)]).join();
            if (window.measures(started)) {
              latencies.record(System.nanoTime() - started);
              reads.incrementAndGet();
            } else {
              warmReads.incrementAndGet();
            }
          } catch (RuntimeException e) {
            if (window.measures(started)) {
              latencies.error(e);
            }
          }
        }
      }, "bench-near-" + t);
      running.add(thread);
      thread.start();
    }
    window.awaitEnd();
    for (Thread thread : running) {
      thread.join(30_000);
    }
    return new Row(path, reads.get(), reads.get() / window.measuredSeconds(), latencies.summary(), Double.NaN,
        latencies.errors(), latencies.firstError());
  }
}
