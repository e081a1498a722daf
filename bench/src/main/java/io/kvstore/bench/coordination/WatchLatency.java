package io.kvstore.bench.coordination;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.kvstore.bench.load.LatencySummary;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.WatchEvent;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Watch delivery latency: a watch on a prefix of one shard, opened on a chosen node (the shard's leader or
 * a follower), while {@code writers} threads put new keys under the prefix. A write's latency runs from
 * the moment its put was acknowledged to the moment the watch delivered its event (matched by version).
 * An event can arrive before the writer's acknowledgement (the watched node applied the entry and streamed
 * it before the leader's answer reached the writer); such writes count as 0 and are reported.
 */
final class WatchLatency {
  /** One run's figures. */
  record Result(String watchedNode, int writers, long writes, LatencySummary latency, long beforeAck, long missing,
                long errors, String firstError) {
  }

  private WatchLatency() {
  }

  /**
   * @param address   the node the watch is opened on
   * @param role      how the report names it ("leader", "follower")
   */
  static Result measure(KvClient client, String address, String role, ByteString prefix, int writers,
                        Duration warmup, Duration measured) throws InterruptedException {
    Map<Long, Long> delivered = new ConcurrentHashMap<>();
    Map<Long, Long> acknowledged = new ConcurrentHashMap<>();
    CountDownLatch open = new CountDownLatch(1);
    AtomicReference<Throwable> watchError = new AtomicReference<>();
    WatchRequest request = WatchRequest.newBuilder().setPrefix(prefix).setProgressIntervalMillis(100).build();
    Context.CancellableContext watch = client.coordination().watch(address, request, new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {
        long now = System.nanoTime();
        for (WatchEvent e : r.getEventsList()) {
          delivered.putIfAbsent(e.getKv().getVersion(), now);
        }
        open.countDown();
      }

      @Override
      public void onError(Throwable t) {
        watchError.compareAndSet(null, t);
        open.countDown();
      }

      @Override
      public void onCompleted() {
      }
    });
    try {
      if (!open.await(30, TimeUnit.SECONDS) || watchError.get() != null) {
        throw new IllegalStateException("the watch on " + address + " did not open: " + watchError.get());
      }
      Latencies errors = new Latencies();
      Window window = Window.startingNow(warmup, measured);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        Thread t = new Thread(() -> {
          ByteString value = ByteString.copyFrom(new byte[64]);
          long n = 0;
          while (!window.over()) {
            long started = System.nanoTime();
            try {
              long version = client.put(prefix.concat(ByteString.copyFromUtf8(writer + "-" + (n++))), value)
                  .join().getVersion();
              if (window.measures(started)) {
                acknowledged.put(version, System.nanoTime());
              }
            } catch (RuntimeException e) {
              if (window.measures(started)) {
                errors.error(e);
              }
            }
          }
        }, "bench-watch-writer-" + w);
        threads.add(t);
        t.start();
      }
      window.awaitEnd();
      for (Thread t : threads) {
        t.join(30_000);
      }
      // Every acknowledged write's event, or give up after 10 s.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!delivered.keySet().containsAll(acknowledged.keySet()) && System.nanoTime() < deadline
          && watchError.get() == null) {
        Thread.sleep(20);
      }
      Latencies latencies = new Latencies();
      long beforeAck = 0;
      long missing = 0;
      for (Map.Entry<Long, Long> a : acknowledged.entrySet()) {
        Long at = delivered.get(a.getKey());
        if (at == null) {
          missing++;
        } else {
          beforeAck += at < a.getValue() ? 1 : 0;
          latencies.record(at - a.getValue());
        }
      }
      if (watchError.get() != null) {
        errors.error(watchError.get());
      }
      return new Result(role, writers, acknowledged.size(), latencies.summary(), beforeAck, missing, errors.errors(),
          errors.firstError());
    } finally {
      watch.cancel(null);
    }
  }
}
