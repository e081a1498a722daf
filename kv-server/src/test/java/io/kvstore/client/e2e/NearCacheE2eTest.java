package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.client.KvClient;
import io.kvstore.client.NearCache;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.server.e2e.Await;
import io.kvstore.server.e2e.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client near-cache on three real nodes: its staleness bound, LINEARIZABLE bypass, a lost watch. */
class NearCacheE2eTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration BOUND = Duration.ofMillis(500);
  @TempDir Path dir;

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void neverOlderThanItsBoundBypassedByLinearizableAndOffWhileTheWatchIsDown() throws Exception {
    try (LocalCluster cluster = new LocalCluster(dir, 3, 2, LocalCluster.fastOptions(100_000))) {
      cluster.awaitLeaders(WAIT);
      String seeds = cluster.ids().stream().map(id -> cluster.node(id).grpcAddress())
          .collect(Collectors.joining(","));
      try (KvClient client = KvClient.builder().seeds(seeds).deadline(Duration.ofSeconds(20)).build();
          NearCache cache = NearCache.open(client, cluster.node(3).grpcAddress(), b("{nc}:"), 1_000, BOUND)) {
        ByteString key = b("{nc}:k");
        client.put(key, b("0")).get(20, TimeUnit.SECONDS);
        Await.until(WAIT, "a read served by the cache", () -> {
          cache.get(key, Consistency.CONSISTENCY_STALE).join();
          return cache.hits() > 0;
        });

        // A writer moves the value on; a reader samples the cache. Each sample's value must still have been
        // current at some moment within BOUND before the read began.
        int writes = 50;
        long[] acked = new long[writes + 1];
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
          for (int i = 1; i <= writes; i++) {
            client.put(key, b(Integer.toString(i))).join();
            acked[i] = System.nanoTime();
          }
        });
        record Sample(long startNanos, int value) {}
        List<Sample> samples = new ArrayList<>();
        long hitsBefore = cache.hits();
        while (!writer.isDone()) {
          long t = System.nanoTime();
          int v = Integer.parseInt(cache.get(key, Consistency.CONSISTENCY_LEASE).join().getKv().getValue()
              .toStringUtf8());
          samples.add(new Sample(t, v));
        }
        writer.join();
        assertThat(cache.hits() - hitsBefore).as("the cache served reads during the writes").isPositive();
        for (Sample s : samples) {
          if (s.value() < writes) {
            long nextAck = acked[s.value() + 1];
            assertThat(nextAck).as("value %d read at %d: its successor was acknowledged %d ms before the read",
                s.value(), s.startNanos(), TimeUnit.NANOSECONDS.toMillis(s.startNanos() - nextAck))
                .isGreaterThanOrEqualTo(s.startNanos() - BOUND.toNanos());
          }
        }

        // LINEARIZABLE bypasses the cache.
        long hits = cache.hits();
        assertThat(cache.get(key, Consistency.CONSISTENCY_LINEARIZABLE).join().getKv().getValue())
            .isEqualTo(b(Integer.toString(writes)));
        assertThat(cache.hits()).isEqualTo(hits);

        // The watched node goes away: once the bound passes, every read goes to the store.
        cluster.stop(3);
        long down = System.nanoTime();
        Await.until(WAIT, "the bound passed", () -> System.nanoTime() - down > BOUND.toNanos());
        long before = cache.hits();
        for (int i = 0; i < 5; i++) {
          assertThat(cache.get(key, Consistency.CONSISTENCY_LINEARIZABLE).join().getFound()).isTrue();
          assertThat(cache.get(key, Consistency.CONSISTENCY_STALE).join().getFound()).isTrue();
        }
        assertThat(cache.hits()).as("no cache hit without a live watch").isEqualTo(before);
      }
    }
  }

}
