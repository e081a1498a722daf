package io.kvstore.bench.scaling;

import com.google.protobuf.ByteString;
import io.kvstore.client.KvClient;
import io.kvstore.ring.RoutingTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failover time: one client thread writes one key in a loop (blocking puts through the routing client,
 * with its own retries, as an application would); the leader of the key's shard, found with GetNodeStatus,
 * is killed with SIGKILL; the time from the kill to the completion of the first successful put issued after
 * it is one sample (this overstates the outage by at most one put's latency). The node is restarted and the
 * cluster waited on (every shard led, the node answering) before the next kill.
 */
final class Failover {
  /** @param millis one sample per kill, in kill order */
  record Result(int shards, List<Double> millis, long failedPuts) {
    double percentile(double p) {
      List<Double> sorted = new ArrayList<>(millis);
      Collections.sort(sorted);
      // Nearest rank: the smallest sample with at least p of the samples at or below it.
      int rank = (int) Math.ceil(p * sorted.size());
      return sorted.get(Math.max(0, rank - 1));
    }
  }

  private Failover() {}

  static Result measure(Path dir, int shards, int kills, NodeJvm jvm, java.io.PrintStream log)
      throws IOException, InterruptedException {
    ByteString key = ByteString.copyFrom("failover-key", StandardCharsets.UTF_8);
    ByteString value = ByteString.copyFrom(new byte[256]);
    try (NodeCluster cluster = new NodeCluster(dir, 3, shards, jvm);
        KvClient client = KvClient.builder().seeds(cluster.endpoints()).deadline(Duration.ofSeconds(10))
            .build()) {
      cluster.awaitLeaders(Duration.ofSeconds(120));
      long shard = RoutingTable.of(client.blocking().clusterMap()).shardForKey(key).getId();
      Writer writer = new Writer(client, key, value);
      Thread thread = new Thread(writer, "failover-writer");
      thread.setDaemon(true);
      thread.start();
      List<Double> samples = new ArrayList<>();
      try {
        for (int i = 0; i < kills; i++) {
          writer.awaitSuccessAfter(System.nanoTime(), Duration.ofSeconds(60));
          Integer leader = cluster.leaders().get(shard);
          if (leader == null) {
            throw new IllegalStateException("shard " + shard + " has no leader before kill " + (i + 1));
          }
          long killedAt = System.nanoTime();
          cluster.kill9(leader);
          long recovered = writer.awaitSuccessAfter(killedAt, Duration.ofSeconds(60));
          double ms = (recovered - killedAt) / 1e6;
          samples.add(ms);
          log.printf("kill %d/%d: node %d (leader of shard %d), writes back after %.0f ms%n",
              i + 1, kills, leader, shard, ms);
          cluster.restart(leader);
          awaitNodeBack(cluster, leader, shards);
        }
      } finally {
        writer.stop();
        thread.join(15_000);
      }
      return new Result(shards, samples, writer.failures.get());
    }
  }

  private static void awaitNodeBack(NodeCluster cluster, int id, int shards) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      var s = cluster.status(id, Duration.ofSeconds(2));
      if (s != null && s.getShardsCount() == shards) {
        break;
      }
      cluster.assertAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node " + id + " did not come back:\n" + cluster.logTail(id, 20));
      }
      Thread.sleep(100);
    }
    cluster.awaitLeaders(Duration.ofSeconds(120));
  }

  /** The client loop: puts one after another; remembers when the latest successful put was issued/done. */
  private static final class Writer implements Runnable {
    private final KvClient client;
    private final ByteString key;
    private final ByteString value;
    private final Object lock = new Object();
    private long lastOkIssued = Long.MIN_VALUE;
    private long lastOkDone;
    private volatile boolean stopping;
    final AtomicLong failures = new AtomicLong();

    Writer(KvClient client, ByteString key, ByteString value) {
      this.client = client;
      this.key = key;
      this.value = value;
    }

    @Override
    public void run() {
      while (!stopping) {
        long issued = System.nanoTime();
        try {
          client.blocking().put(key, value);
          long done = System.nanoTime();
          synchronized (lock) {
            lastOkIssued = issued;
            lastOkDone = done;
            lock.notifyAll();
          }
        } catch (RuntimeException e) {
          failures.incrementAndGet(); // the client gave up (its deadline); the loop tries again
        }
      }
    }

    /** Blocks until a put issued at or after {@code since} succeeded; returns when it completed. */
    long awaitSuccessAfter(long since, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (lastOkIssued < since) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new IllegalStateException("no write succeeded within " + timeout.toSeconds() + " s");
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
        return lastOkDone;
      }
    }

    void stop() {
      stopping = true;
    }
  }
}
