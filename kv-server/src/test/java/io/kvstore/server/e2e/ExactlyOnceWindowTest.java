package io.kvstore.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kvstore.client.KvClient;
import io.kvstore.client.RetryPolicy;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.server.metrics.ServedCalls;
import io.kvstore.server.replica.ReplicaOptions;
import io.kvstore.server.statemachine.SessionTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exactly-once window (the results a shard remembers per client) seen by its users: a client of the
 * Java client with many more writes in flight on one shard than the window, whose attempts time out and
 * are retried, never has a retry refused; and a request that really is older than the window is answered
 * with a status that says its outcome is unknown (FAILED_PRECONDITION), not one that invites retries.
 */
class ExactlyOnceWindowTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  /** Small, so that a few hundred writes are many windows' worth. */
  static final int WINDOW = 16;

  @TempDir Path dir;
  private LocalCluster cluster;

  private LocalCluster start() {
    ReplicaOptions options = LocalCluster.fastOptions(10_000)
        .withSessions(new SessionTable.Limits(10_000, WINDOW, 15 * 60_000L));
    cluster = new LocalCluster(dir, 3, 1, options);
    cluster.awaitLeaders(WAIT);
    return cluster;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private String seeds() {
    return cluster.ids().stream().map(id -> cluster.node(id).grpcAddress()).collect(Collectors.joining(","));
  }

  @Test
  void manyMoreWritesInFlightThanTheWindowWithRetriesAreEachAppliedOnce() throws Exception {
    start();
    int writes = 16 * WINDOW;
    // Attempts far shorter than a loaded shard may need: writes time out and are retried while the first
    // attempt is still in the log, so retries arrive late and out of order; and the shard's leader is
    // stopped (then restarted) mid-run, so the writes in flight there are all retried elsewhere.
    try (KvClient client = KvClient.builder().seeds(seeds()).attemptTimeout(Duration.ofMillis(60))
        // Long: the writes wait their turn in the client, and the deadline counts from the call.
        .deadline(Duration.ofSeconds(150))
        .retryPolicy(new RetryPolicy(1_000, Duration.ofMillis(5), Duration.ofMillis(200), 2.0, 0.9))
        .build()) {
      List<CompletableFuture<CompareAndSwapResponse>> pending = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        // Create-if-absent: a write applied twice would answer succeeded = false the second time.
        pending.add(client.compareAndSwapVersion(key(i), 0, ByteString.copyFromUtf8("v" + i)));
      }
      Await.until(Duration.ofSeconds(150), "a quarter of the writes answered",
          () -> pending.stream().filter(CompletableFuture::isDone).count() >= writes / 4);
      long leader = cluster.leaderOf(1).orElseThrow();
      double servedByStopped = casCallsServed(leader); // its counters go with it
      cluster.stop(leader);
      Await.until(Duration.ofSeconds(150), "half of the writes answered",
          () -> pending.stream().filter(CompletableFuture::isDone).count() >= writes / 2);
      cluster.restart(leader);
      List<String> failures = new ArrayList<>();
      List<Long> versions = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        try {
          CompareAndSwapResponse r = pending.get(i).get(160, TimeUnit.SECONDS);
          if (!r.getSucceeded()) {
            failures.add("write " + i + " was applied twice: " + r);
          }
          versions.add(r.getVersion());
        } catch (java.util.concurrent.ExecutionException e) {
          failures.add("write " + i + ": " + e.getCause());
          versions.add(-1L);
        }
      }
      assertThat(failures).as("of %d writes", writes).isEmpty();
      // How many calls the nodes served (retries included), for the record. Not asserted: what the stopped
      // node served between the count and its stop is lost, so on a fast machine with few attempt timeouts
      // the count can fall below the number of writes (CI once saw 245 for 256) although retries happened.
      double calls = servedByStopped + cluster.ids().stream().mapToDouble(this::casCallsServed).sum();
      System.out.printf("ExactlyOnceWindowTest: %d writes, %.0f CompareAndSwap calls served%n", writes, calls);
      for (int i = 0; i < writes; i++) {
        GetResponse g = client.get(key(i), Consistency.CONSISTENCY_LINEARIZABLE).get(30, TimeUnit.SECONDS);
        assertThat(g.getKv().getValue().toStringUtf8()).as("key %d", i).isEqualTo("v" + i);
        assertThat(g.getKv().getVersion()).as("key %d", i).isEqualTo(versions.get(i));
      }
    }
  }

  @Test
  void aWriteOlderThanTheWindowIsAnsweredOutcomeUnknownNotUnavailable() {
    start();
    // The window is part of the map, so every replica (and every client) uses the same one.
    assertThat(cluster.cluster(1).getClusterMap(io.kvstore.proto.v1.GetClusterMapRequest.getDefaultInstance())
        .getLimits().getWriteWindow()).isEqualTo(WINDOW);
    long client = 777;
    for (long seq = 1; seq <= WINDOW + 1; seq++) {
      long s = seq;
      Await.value(WAIT, () -> cluster.kv(1).put(put(client, s, "k" + s)));
    }
    // Sequence 1's result is no longer kept: whether it was applied cannot be told from the table.
    // (Retried while the shard has no leader: a loaded machine may run an election in between.)
    assertThatThrownBy(() -> Await.value(WAIT, () -> cluster.kv(2).put(put(client, 1, "k1"))))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription())
              .contains("sequence 1 of client 777")
              .contains("outcome")
              .contains("unknown")
              .contains("window of " + WINDOW);
        });
    // The newest results are still kept: their retries are answered with the original result.
    long s = WINDOW + 1;
    assertThat(Await.value(WAIT, () -> cluster.kv(3).put(put(client, s, "k" + s))).getVersion()).isPositive();
  }

  /** The node's kvstore_grpc_server_requests_total for KV/CompareAndSwap, every status code. */
  private double casCallsServed(long node) {
    return ServedCalls.count(cluster.node(node).registry(), "kvstore.v1.KV/CompareAndSwap");
  }

  private static PutRequest put(long client, long seq, String key) {
    return PutRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(seq))
        .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8("v")).build();
  }

  private static ByteString key(int i) {
    return ByteString.copyFromUtf8("w" + i);
  }
}
