package io.kvstore.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.WatchEvent;
import io.kvstore.proto.v1.WatchGrpc;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import io.kvstore.server.e2e.Await;
import io.kvstore.server.e2e.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Watches on three real nodes: exactly once and in order across a leader kill, resume, compacted error. */
class WatchE2eTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir Path dir;

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** A watch that resumes on another node from the last version seen whenever its stream ends. */
  private static final class ResumingWatcher implements AutoCloseable {
    final LocalCluster cluster;
    final ByteString prefix;
    final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    final List<Long> nodesUsed = new CopyOnWriteArrayList<>();
    volatile long shard;
    volatile long nextVersion;
    volatile Context.CancellableContext ctx;
    volatile boolean closed;

    ResumingWatcher(LocalCluster cluster, ByteString prefix, long shard, long firstNode, long fromVersion) {
      this.cluster = cluster;
      this.prefix = prefix;
      this.shard = shard;
      this.nextVersion = fromVersion;
      connect(firstNode);
    }

    void connect(long node) {
      nodesUsed.add(node);
      Context.CancellableContext c = Context.current().withCancellation();
      ctx = c;
      WatchRequest req = WatchRequest.newBuilder().setPrefix(prefix).putStartVersions(shard, nextVersion)
          .setProgressIntervalMillis(200).build();
      c.run(() -> WatchGrpc.newStub(cluster.channel(node)).watch(req, new StreamObserver<>() {
        @Override
        public void onNext(WatchResponse r) {
          if (r.getShardId() != shard) {
            return;
          }
          for (WatchEvent e : r.getEventsList()) {
            events.add(e);
            nextVersion = e.getKv().getVersion() + 1;
          }
        }

        @Override
        public void onError(Throwable t) {
          reconnect(node);
        }

        @Override
        public void onCompleted() {
          reconnect(node);
        }
      }));
    }

    void reconnect(long failed) {
      if (closed) {
        return;
      }
      CompletableFuture.runAsync(() -> {
        long next = cluster.ids().stream().filter(id -> id != failed && cluster.isRunning(id)).findFirst()
            .orElseThrow();
        connect(next);
      }, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
      closed = true;
      ctx.cancel(null);
    }
  }

  @Test
  void everyChangeArrivesExactlyOnceInOrderAcrossALeaderKillAndAResume() {
    try (LocalCluster cluster = new LocalCluster(dir, 3, 2, LocalCluster.fastOptions(100_000))) {
      cluster.awaitLeaders(WAIT);
      PutResponse first = Await.value(WAIT, () -> cluster.kv(1).put(PutRequest.newBuilder()
          .setKey(b("{w}:start")).setValue(b("0")).build()));
      long shard = first.getHeader().getShardId();
      long leader = cluster.leaderOf(shard).orElseThrow();
      List<String> written = new ArrayList<>();
      written.add("{w}:start=0");
      // Watch from the leader itself, from the first write on: killing it forces a resume elsewhere.
      try (ResumingWatcher w = new ResumingWatcher(cluster, b("{w}:"), shard, leader, first.getVersion())) {
        long clientId = 77;
        for (int i = 1; i <= 150; i++) {
          if (i == 75) {
            cluster.stop(leader);
          }
          String key = "{w}:k" + (i % 7);
          String value = Integer.toString(i);
          PutRequest put = PutRequest.newBuilder().setKey(b(key)).setValue(b(value))
              .setHeader(RequestHeader.newBuilder().setClientId(clientId).setSequence(i)).build();
          long node = cluster.ids().stream().filter(cluster::isRunning).findFirst().orElseThrow();
          Await.value(WAIT, () -> cluster.kv(node).put(put)); // a retry keeps its sequence: applied once
          written.add(key + "=" + value);
        }
        Await.until(WAIT, "every change was delivered", () -> w.events.size() >= written.size());
        assertThat(w.nodesUsed.size()).as("the watch resumed on another node").isGreaterThan(1);
        assertThat(w.events).extracting(e -> e.getKv().getKey().toStringUtf8() + "=" + e.getKv().getValue()
            .toStringUtf8()).containsExactlyElementsOf(written);
        List<Long> versions = w.events.stream().map(e -> e.getKv().getVersion()).toList();
        assertThat(versions).isSorted().doesNotHaveDuplicates();
      }

      // The stopped node restarts with an empty history: a start version before it is compacted.
      cluster.restart(leader);
      Await.until(WAIT, "the restarted node has the shard", () -> cluster.node(leader).replicas().status(shard)
          .isPresent());
      Throwable compacted = watchError(cluster, leader, WatchRequest.newBuilder().setPrefix(b("{w}:"))
          .putStartVersions(shard, 1).build());
      assertThat(Status.fromThrowable(compacted).getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
      assertThat(Status.fromThrowable(compacted).getDescription()).contains("oldest available is");
    }
  }

  @Test
  void idleWatchesGetProgressAndBadRequestsAClearStatus() throws Exception {
    try (LocalCluster cluster = new LocalCluster(dir, 3, 2, LocalCluster.fastOptions(100_000))) {
      cluster.awaitLeaders(WAIT);
      Throwable empty = watchError(cluster, 1, WatchRequest.newBuilder().setPrefix(ByteString.EMPTY).build());
      assertThat(Status.fromThrowable(empty).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

      PutResponse put = Await.value(WAIT, () -> cluster.kv(1).put(PutRequest.newBuilder()
          .setKey(b("idle")).setValue(b("v")).build()));
      List<WatchResponse> got = new CopyOnWriteArrayList<>();
      Context.CancellableContext c = Context.current().withCancellation();
      c.run(() -> WatchGrpc.newStub(cluster.channel(2)).watch(WatchRequest.newBuilder().setKey(b("idle"))
          .setProgressIntervalMillis(100).build(), new StreamObserver<>() {
            @Override
            public void onNext(WatchResponse r) {
              got.add(r);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          }));
      try {
        Await.until(WAIT, "two progress notifications", () -> got.stream()
            .filter(r -> r.getEventsCount() == 0 && r.getProgressVersion() >= put.getVersion()).count() >= 2);
      } finally {
        c.cancel(null);
      }
    }
  }

  private static Throwable watchError(LocalCluster cluster, long node, WatchRequest req) {
    CompletableFuture<Throwable> err = new CompletableFuture<>();
    WatchGrpc.newStub(cluster.channel(node)).watch(req, new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {}

      @Override
      public void onError(Throwable t) {
        err.complete(t);
      }

      @Override
      public void onCompleted() {
        err.completeExceptionally(new AssertionError("the watch ended without an error"));
      }
    });
    return err.orTimeout(30, TimeUnit.SECONDS).join();
  }
}
