package io.kvstore.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.WatchEvent;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An opt-in near-cache (Caffeine) of the keys under one prefix, in front of a {@link KvClient}, kept fresh
 * by one watch on that prefix (watch.proto) from the node at {@code address}.
 *
 * <p><b>Staleness bound.</b> A value is served from the cache only while the watch has answered (an event
 * or a progress notification, asked for every {@code maxStaleness / 3}) within the last
 * {@code maxStaleness}. So a cached read reflects every change the watched node had applied at some moment
 * within the last {@code maxStaleness}; a write acknowledged more than {@code maxStaleness} before the read
 * began is never missed, as long as the watched node keeps up with its leaders (it applies committed
 * entries a heartbeat or so behind). When the watch is silent longer (node down, partition) every read
 * goes to the store until it is back. LINEARIZABLE reads always bypass the cache.
 *
 * <p>Entries only move forward: an event or a read replaces an entry only with a higher version, and a
 * deletion is kept as a tombstone of its version, so a slow read can never put back an older value.
 *
 * <p>Thread-safe. Close it to stop the watch.
 */
public final class NearCache implements AutoCloseable {
  /** An entry: the key's value at {@code version}, or absent (a tombstone) since {@code version}. */
  private record Entry(long version, KeyValue kv) {}

  private final KvClient client;
  private final String address;
  private final ByteString prefix;
  private final Duration maxStaleness;
  private final Cache<ByteString, Entry> cache;
  private final Map<Long, Long> resumeFrom = new ConcurrentHashMap<>();
  private final AtomicLong hits = new AtomicLong();
  private volatile long lastHeardNanos;
  private volatile boolean heard;
  private volatile Context.CancellableContext watch;
  private volatile boolean closed;

  private NearCache(KvClient client, String address, ByteString prefix, long maxEntries, Duration maxStaleness) {
    this.client = client;
    this.address = address;
    this.prefix = prefix;
    this.maxStaleness = maxStaleness;
    this.cache = Caffeine.newBuilder().maximumSize(maxEntries).build();
  }

  /**
   * Starts a near-cache of the keys under {@code prefix} (non-empty), watched on the node at
   * {@code address} (which must host every shard).
   */
  public static NearCache open(KvClient client, String address, ByteString prefix, long maxEntries,
      Duration maxStaleness) {
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("a near-cache needs a non-empty key prefix");
    }
    NearCache c = new NearCache(client, address, prefix, maxEntries, maxStaleness);
    c.connect();
    return c;
  }

  /** Reads served from the cache so far. */
  public long hits() {
    return hits.get();
  }

  /** The stated bound (see the class comment). */
  public Duration maxStaleness() {
    return maxStaleness;
  }

  /** Reads a key: from the cache when it is fresh and holds the key, else from the store (then cached). */
  public CompletableFuture<GetResponse> get(ByteString key, Consistency consistency) {
    if (consistency == Consistency.CONSISTENCY_LINEARIZABLE || !key.startsWith(prefix)) {
      return client.get(key, consistency);
    }
    Entry e = cache.getIfPresent(key);
    if (e != null && fresh()) {
      hits.incrementAndGet();
      GetResponse.Builder r = GetResponse.newBuilder().setFound(e.kv() != null);
      if (e.kv() != null) {
        r.setKv(e.kv());
      }
      return CompletableFuture.completedFuture(r.build());
    }
    return client.get(key, consistency).thenApply(r -> {
      if (r.getFound()) {
        offer(key, new Entry(r.getKv().getVersion(), r.getKv()));
      }
      return r;
    });
  }

  private boolean fresh() {
    return heard && System.nanoTime() - lastHeardNanos < maxStaleness.toNanos();
  }

  private void offer(ByteString key, Entry e) {
    cache.asMap().merge(key, e, (old, neu) -> neu.version() > old.version() ? neu : old);
  }

  private void connect() {
    if (closed) {
      return;
    }
    WatchRequest.Builder req = WatchRequest.newBuilder().setPrefix(prefix)
        .setProgressIntervalMillis((int) Math.max(1, maxStaleness.toMillis() / 3));
    resumeFrom.forEach(req::putStartVersions);
    watch = client.coordination().watch(address, req.build(), new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {
        for (WatchEvent ev : r.getEventsList()) {
          KeyValue kv = ev.getKv();
          offer(kv.getKey(), new Entry(kv.getVersion(), ev.getType() == WatchEvent.Type.TYPE_PUT ? kv : null));
        }
        if (r.getProgressVersion() > 0) {
          resumeFrom.put(r.getShardId(), r.getProgressVersion() + 1);
        }
        lastHeardNanos = System.nanoTime();
        heard = true;
      }

      @Override
      public void onError(Throwable t) {
        heard = false;
        if (Status.fromThrowable(t).getCode() == Status.Code.OUT_OF_RANGE) {
          // Changes were missed: forget everything and start from now.
          cache.invalidateAll();
          resumeFrom.clear();
        }
        retry();
      }

      @Override
      public void onCompleted() {
        heard = false;
        retry();
      }
    });
  }

  private void retry() {
    CompletableFuture.runAsync(this::connect, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
  }

  @Override
  public void close() {
    closed = true;
    Context.CancellableContext w = watch;
    if (w != null) {
      w.cancel(null);
    }
  }
}
