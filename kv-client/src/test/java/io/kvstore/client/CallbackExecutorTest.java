package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where a caller's callbacks run ({@link KvClientBuilder#callbackExecutor}): on the executor it gave, or
 * on the connection's I/O thread when it chose {@link KvClientBuilder#TRANSPORT_THREAD}; answers arrive
 * the same either way, redirects and retries included.
 */
class CallbackExecutorTest {
  private FakeCluster cluster;
  private KvClient client;
  private ExecutorService pool;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  @Test
  void callbacksRunOnTheExecutorTheCallerGave() throws Exception {
    cluster = new FakeCluster(3, 4);
    pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "caller-pool"));
    client = KvClient.builder().seeds(cluster.seeds()).deadline(Duration.ofSeconds(10)).callbackExecutor(pool)
        .build();
    assertThat(threadOfCallback(() -> client.put(b("k"), b("v")))).isEqualTo("caller-pool");
    assertThat(client.get(b("k")).get(10, TimeUnit.SECONDS).getKv().getValue()).isEqualTo(b("v"));
  }

  @Test
  void transportThreadCallbacksRunOnTheConnectionsIoThreadAndSurviveARedirect() throws Exception {
    cluster = new FakeCluster(3, 4);
    client = KvClient.builder().seeds(cluster.seeds()).deadline(Duration.ofSeconds(10))
        .callbackExecutor(KvClientBuilder.TRANSPORT_THREAD).build();
    ByteString key = b("moving");
    client.put(key, b("1")).get(10, TimeUnit.SECONDS);
    long shard = cluster.shardOf(key);
    long old = cluster.leaderOf(shard);
    long next = cluster.replicasOf(shard).stream().filter(n -> n != old).findFirst().orElseThrow();
    cluster.moveLeader(shard, next);
    // The first attempt is answered NotLeader; the retry goes to the new leader, all on I/O threads.
    String thread = threadOfCallback(() -> client.put(key, b("2")));
    assertThat(thread).as("a gRPC event-loop thread").contains("worker-ELG-");
    assertThat(client.get(key).get(10, TimeUnit.SECONDS).getKv().getValue()).isEqualTo(b("2"));
  }

  /**
   * The name of the thread a callback chained on a call's future ran on. A callback chained on a future
   * that is already complete runs on the chaining thread, which says nothing: then the call is made again.
   */
  private static String threadOfCallback(java.util.function.Supplier<CompletableFuture<?>> call) throws Exception {
    CompletableFuture<?> f = call.get();
    for (int i = 0; i < 5 && f.isDone(); i++) {
      f = call.get();
    }
    assertThat(f.isDone()).as("a call that was not answered before its callback was chained").isFalse();
    CompletableFuture<String> where = new CompletableFuture<>();
    f.whenComplete((r, e) -> {
      if (e != null) {
        where.completeExceptionally(e);
      } else {
        where.complete(Thread.currentThread().getName());
      }
    });
    return where.get(10, TimeUnit.SECONDS);
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
