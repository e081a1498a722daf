package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.ResponseHeader;
import io.kvstore.proto.v1.WatchEvent;
import io.kvstore.proto.v1.WatchGrpc;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.watch.ChangeLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The public {@code kvstore.v1.Watch} service (watch.proto), served from this node's replicas' {@link
 * ChangeLog}s. One subscription per shard the watch touches; each queues its responses in order (under its
 * log's lock) and a drain on {@code executor} writes them to the stream. A client more than
 * {@link #MAX_QUEUED} responses behind is cut off with RESOURCE_EXHAUSTED (it resumes from its last
 * version). Progress notifications go through the same queue, so they never overtake an event.
 */
public final class WatchService extends WatchGrpc.WatchImplBase implements AutoCloseable {
  static final int MAX_QUEUED = 10_000;
  private static final long DEFAULT_PROGRESS_MILLIS = 1_000;

  private final long selfId;
  private final LocalClusterMap map;
  private final ShardReplicas replicas;
  private final Executor executor;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "kv-watch-progress");
    t.setDaemon(true);
    return t;
  });

  public WatchService(long selfId, LocalClusterMap map, ShardReplicas replicas, Executor executor) {
    this.selfId = selfId;
    this.map = map;
    this.replicas = replicas;
    this.executor = executor;
  }

  @Override
  public void watch(WatchRequest r, StreamObserver<WatchResponse> out) {
    String cluster = r.getHeader().getClusterId();
    if (!cluster.isEmpty() && !cluster.equals(map.clusterId())) {
      out.onError(KvStatuses.failedPrecondition("this node belongs to cluster '" + map.clusterId() + "', not '"
          + cluster + "'"));
      return;
    }
    List<Long> shards;
    Predicate<ByteString> filter;
    switch (r.getSelectorCase()) {
      case KEY -> {
        ByteString key = r.getKey();
        if (key.isEmpty() || key.size() > 4096) {
          out.onError(KvStatuses.invalidArgument("a watched key must be 1 to 4096 bytes, not " + key.size()));
          return;
        }
        shards = List.of(map.table().shardForKey(key).getId());
        filter = key::equals;
      }
      case PREFIX -> {
        ByteString prefix = r.getPrefix();
        if (prefix.isEmpty() && r.getStartVersionsMap().isEmpty()) {
          out.onError(KvStatuses.invalidArgument("a watch on the empty prefix (every key) needs at least one"
              + " start version in start_versions"));
          return;
        }
        // A prefix holding a complete hash tag ("job:{7}:") selects keys of one shard only.
        shards = io.kvstore.ring.KeyHash.fixesShard(prefix)
            ? List.of(map.table().shardForKey(prefix).getId())
            : map.table().shards().stream().map(s -> s.getId()).toList();
        filter = k -> k.startsWith(prefix);
      }
      default -> {
        out.onError(KvStatuses.invalidArgument("set key or prefix"));
        return;
      }
    }
    List<ChangeLog> logs = new ArrayList<>();
    for (long shard : shards) {
      Optional<ChangeLog> log = replicas.changes(shard);
      if (log.isEmpty()) {
        out.onError(KvStatuses.failedPrecondition("node " + selfId + " has no replica of shard " + shard
            + "; watch from a node that hosts every shard the watch touches"));
        return;
      }
      logs.add(log.get());
    }
    Stream stream = new Stream((ServerCallStreamObserver<WatchResponse>) out);
    long interval = r.getProgressIntervalMillis() == 0 ? DEFAULT_PROGRESS_MILLIS : r.getProgressIntervalMillis();
    for (int i = 0; i < shards.size(); i++) {
      long shard = shards.get(i);
      ChangeLog log = logs.get(i);
      try {
        Object handle = log.subscribe(r.getStartVersionsOrDefault(shard, 0), filter, stream.subscriber(shard));
        stream.onClose(() -> log.unsubscribe(handle));
        ScheduledFuture<?> ticking = timer.scheduleAtFixedRate(() -> {
          if (stream.idleFor(shard, interval)) {
            log.progress(handle);
          }
        }, interval, interval, TimeUnit.MILLISECONDS);
        stream.onClose(() -> ticking.cancel(false));
      } catch (ChangeLog.CompactedException e) {
        stream.fail(Status.OUT_OF_RANGE.withDescription("shard " + shard + ": " + e.getMessage()
            + "; read the current state and watch from its version").asRuntimeException());
        return;
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** One client stream: the queue of responses of all its shards, drained in order on the executor. */
  private final class Stream {
    private final ServerCallStreamObserver<WatchResponse> out;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final List<Runnable> closers = new ArrayList<>();
    private final Map<Long, Long> lastSent = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    Stream(ServerCallStreamObserver<WatchResponse> out) {
      this.out = out;
      out.setOnCancelHandler(this::close);
    }

    synchronized void onClose(Runnable r) {
      if (closed) {
        r.run();
      } else {
        closers.add(r);
      }
    }

    void close() {
      List<Runnable> todo;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        todo = new ArrayList<>(closers);
        closers.clear();
      }
      todo.forEach(Runnable::run);
    }

    boolean idleFor(long shard, long millis) {
      return System.nanoTime() - lastSent.getOrDefault(shard, 0L) >= TimeUnit.MILLISECONDS.toNanos(millis);
    }

    ChangeLog.Subscriber subscriber(long shard) {
      lastSent.put(shard, System.nanoTime());
      return new ChangeLog.Subscriber() {
        @Override
        public void onChanges(List<ChangeLog.Change> changes, long upToVersion) {
          WatchResponse.Builder b = WatchResponse.newBuilder()
              .setHeader(ResponseHeader.newBuilder().setShardId(shard).setNodeId(selfId).setEpoch(map.epoch()))
              .setShardId(shard).setProgressVersion(upToVersion);
          for (ChangeLog.Change c : changes) {
            KeyValue.Builder kv = KeyValue.newBuilder().setKey(c.key()).setVersion(c.version());
            if (c.value() != null) {
              kv.setValue(c.value().value()).setCreateVersion(c.value().createVersion()).setLease(c.value().lease());
            }
            b.addEvents(WatchEvent.newBuilder()
                .setType(c.value() == null ? WatchEvent.Type.TYPE_DELETE : WatchEvent.Type.TYPE_PUT).setKv(kv));
          }
          if (changes.isEmpty() && upToVersion == 0) {
            return;
          }
          lastSent.put(shard, System.nanoTime());
          enqueue(b.build());
        }

        @Override
        public void onCompacted(long firstAvailable) {
          enqueue(Status.OUT_OF_RANGE.withDescription("shard " + shard + ": this replica's change history"
              + " restarted (a snapshot was installed); the oldest available version is " + firstAvailable
              + "; resume on another node or read the current state and watch from its version")
              .asRuntimeException());
        }
      };
    }

    void fail(RuntimeException status) {
      enqueue(status);
    }

    private void enqueue(Object item) {
      if (closed) {
        return;
      }
      if (queued.incrementAndGet() > MAX_QUEUED) {
        queue.clear();
        queue.add(Status.RESOURCE_EXHAUSTED.withDescription("the watcher fell more than " + MAX_QUEUED
            + " responses behind; resume from the last version received").asRuntimeException());
      } else {
        queue.add(item);
      }
      if (draining.compareAndSet(false, true)) {
        executor.execute(this::drain);
      }
    }

    private void drain() {
      while (true) {
        Object item;
        while ((item = queue.poll()) != null) {
          queued.decrementAndGet();
          if (closed) {
            continue;
          }
          try {
            if (item instanceof WatchResponse resp) {
              out.onNext(resp);
            } else {
              close();
              out.onError((RuntimeException) item);
            }
          } catch (RuntimeException cancelled) {
            close();
          }
        }
        draining.set(false);
        if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
      }
    }
  }
}
