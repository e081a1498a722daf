package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.client.BlockingKvClient;
import io.kvstore.client.KvClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client keeps working while a shard's leader is killed: no error reaches the caller within its
 * deadline, and its route cache moves to the new leader.
 */
class LeaderFailoverE2eTest {
  @TempDir Path dir;

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void noErrorReachesTheCallerWhileAShardLeaderIsKilled() throws Exception {
    try (RealCluster cluster = new RealCluster(dir, 3, 4);
        KvClient client = cluster.client().deadline(Duration.ofSeconds(10)).build()) {
      BlockingKvClient kv = client.blocking();
      ByteString key = b("victim");
      kv.put(key, b("before"));
      long shard = client.cachedView().table().shardForKey(key).getId();
      RealCluster.await(Duration.ofSeconds(10), "shard " + shard + " has a leader",
          () -> cluster.leaderOf(shard) != 0);
      long leader = cluster.leaderOf(shard);
      kv.put(key, b("before-2"));
      assertThat(client.cachedLeader(key)).isEqualTo(leader);

      // Four writers, each writing its own keys and reading them back, for a bounded number of rounds.
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      AtomicInteger done = new AtomicInteger();
      java.util.concurrent.atomic.AtomicLong slowestNanos = new java.util.concurrent.atomic.AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch finished = new CountDownLatch(4);
      for (int t = 0; t < 4; t++) {
        int thread = t;
        Thread worker = new Thread(() -> {
          try {
            for (int i = 0; i < 5_000 && !stop.get(); i++) {
              ByteString k = b("load-" + thread + "-" + (i % 50));
              ByteString v = b("v" + i);
              long start = System.nanoTime();
              kv.put(k, v);
              assertThat(kv.get(k).getKv().getValue()).isEqualTo(v);
              slowestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
              done.incrementAndGet();
            }
          } catch (Throwable e) {
            errors.add(e);
          } finally {
            finished.countDown();
          }
        }, "load-" + t);
        worker.setDaemon(true);
        worker.start();
      }
      RealCluster.await(Duration.ofSeconds(20), "100 rounds before the kill", () -> done.get() >= 100);
      long killedAt = System.nanoTime();
      cluster.kill(leader);
      int atKill = done.get();
      slowestNanos.set(0);
      RealCluster.await(Duration.ofSeconds(30), "300 rounds after the kill",
          () -> done.get() >= atKill + 300 || !errors.isEmpty());
      // A figure for the report, not an assertion: how long the slowest put+get took across the failover.
      System.err.printf("failover: node %d (leader of shard %d) killed; %d put+get rounds in %d ms after;"
          + " slowest round %d ms%n", leader, shard, done.get() - atKill,
          (System.nanoTime() - killedAt) / 1_000_000, slowestNanos.get() / 1_000_000);
      stop.set(true);
      assertThat(finished.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(errors).as("errors seen by callers").isEmpty();

      // The shard has a new leader, and one write is enough for the cache to point at it.
      RealCluster.await(Duration.ofSeconds(10), "shard " + shard + " has a new leader",
          () -> cluster.leaderOf(shard) != 0);
      kv.put(key, b("after"));
      long newLeader = cluster.leaderOf(shard);
      assertThat(newLeader).isNotEqualTo(leader);
      assertThat(client.cachedLeader(key)).isEqualTo(newLeader);
      assertThat(kv.get(key).getKv().getValue()).isEqualTo(b("after"));

      // The killed node comes back and catches up; the client keeps working throughout.
      cluster.restart(leader);
      for (int i = 0; i < 20; i++) {
        kv.put(b("back-" + i), b("v"));
      }
      assertThat(kv.batchGet(List.of(b("back-0"), b("back-19"), key),
          io.kvstore.proto.v1.Consistency.CONSISTENCY_LINEARIZABLE))
          .allMatch(r -> r.getFound());
    }
  }
}
