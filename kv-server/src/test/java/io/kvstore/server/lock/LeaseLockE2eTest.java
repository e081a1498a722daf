package io.kvstore.server.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.Fence;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseGrpc;
import io.kvstore.proto.v1.LeaseKeepAliveRequest;
import io.kvstore.proto.v1.LeaseKeepAliveResponse;
import io.kvstore.proto.v1.LeaseListRequest;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.proto.v1.LeaseTimeToLiveRequest;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockGrpc;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.server.e2e.Await;
import io.kvstore.server.e2e.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases and locks on three real nodes (Raft, RocksDB, gRPC on loopback): expiry through the log on every
 * replica, keep-alive, a new leader's fresh TTL, lock loss after the TTL (never before), fencing against a
 * newer holder, FIFO hand-off, and the bad-input statuses. The leader-kill test runs last (it stops a node).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaseLockE2eTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir static Path dir;
  private LocalCluster cluster;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final AtomicLong seq = new AtomicLong();

  @BeforeAll
  void start() {
    cluster = new LocalCluster(dir, 3, 2, LocalCluster.fastOptions(100_000));
    cluster.awaitLeaders(WAIT);
  }

  @AfterAll
  void stop() {
    pool.shutdownNow();
    cluster.close();
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private long anyNode() {
    return cluster.ids().stream().filter(cluster::isRunning).findFirst().orElseThrow();
  }

  private LeaseGrpc.LeaseBlockingStub lease(long node) {
    return LeaseGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private LockGrpc.LockBlockingStub lock(long node) {
    return LockGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private LeaseGrantResponse grant(String key, long ttlMillis) {
    return Await.value(WAIT, () -> lease(anyNode()).grant(
        LeaseGrantRequest.newBuilder().setKey(b(key)).setTtlMillis(ttlMillis).build()));
  }

  private void put(String key, String value, long lease) {
    Await.value(WAIT, () -> cluster.kv(anyNode()).put(
        PutRequest.newBuilder().setKey(b(key)).setValue(b(value)).setLease(lease).build()));
  }

  /** The key as one node's own replica has applied it (a STALE read is served locally). */
  private GetResponse staleGet(long node, String key) {
    return Await.value(WAIT, () -> cluster.kv(node).get(
        GetRequest.newBuilder().setKey(b(key)).setConsistency(Consistency.CONSISTENCY_STALE).build()));
  }

  /** Keeps a lease alive from a background stream to the shard's leader, every {@code everyMillis}. */
  private final class KeepAlive implements AutoCloseable {
    final long id;
    volatile boolean stopped;
    volatile long lastSentNanos;
    final List<Long> ttls = new CopyOnWriteArrayList<>();
    /** The node named in each answer's header: the one that renewed the lease. */
    final List<Long> renewedBy = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> loop;

    KeepAlive(long id, long shard, long everyMillis) {
      this(id, () -> cluster.leaderOf(shard).orElseThrow(() -> Status.UNAVAILABLE.asRuntimeException()),
          everyMillis);
    }

    /** Keeps the lease alive through the node {@code target} names each time the stream is (re)opened. */
    KeepAlive(long id, java.util.function.LongSupplier target, long everyMillis) {
      this.id = id;
      this.loop = CompletableFuture.runAsync(() -> {
        while (!stopped) {
          try {
            long node = target.getAsLong();
            CompletableFuture<Void> ended = new CompletableFuture<>();
            StreamObserver<LeaseKeepAliveRequest> req = LeaseGrpc.newStub(cluster.channel(node))
                .keepAlive(new StreamObserver<>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse r) {
                    ttls.add(r.getTtlMillis());
                    renewedBy.add(r.getHeader().getNodeId());
                  }

                  @Override
                  public void onError(Throwable t) {
                    ended.complete(null);
                  }

                  @Override
                  public void onCompleted() {
                    ended.complete(null);
                  }
                });
            while (!stopped && !ended.isDone()) {
              lastSentNanos = System.nanoTime();
              req.onNext(LeaseKeepAliveRequest.newBuilder().setId(id).build());
              TimeUnit.MILLISECONDS.sleep(everyMillis); // the keep-alive period itself, not a poll
            }
            req.onCompleted();
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            try {
              TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException ie) {
              return;
            }
          }
        }
      }, pool);
    }

    @Override
    public void close() {
      stopped = true;
      loop.join();
    }
  }

  @Test
  @Order(1)
  void anExpiredLeaseDeletesItsKeysOnEveryReplicaAndKeepAliveKeepsThem() {
    LeaseGrantResponse g = grant("{sess-1}", 1_000);
    long shard = g.getHeader().getShardId();
    put("{sess-1}:a", "1", g.getId());
    put("{sess-1}:b", "2", g.getId());
    put("{sess-1}:plain", "3", 0);
    // A put is acknowledged once applied on its leader; a follower may apply it a moment later (STALE
    // reads promise no more), so wait until every replica shows the keys.
    for (long node : cluster.ids()) {
      Await.until(WAIT, "node " + node + " applied the puts", () -> staleGet(node, "{sess-1}:plain").getFound());
    }
    assertThat(staleGet(anyNode(), "{sess-1}:a").getKv().getLease()).isEqualTo(g.getId());

    try (KeepAlive ka = new KeepAlive(g.getId(), shard, 200)) {
      // Three TTLs go by while kept alive: the keys stay.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_000);
      while (System.nanoTime() - until < 0) {
        for (long node : cluster.ids()) {
          assertThat(staleGet(node, "{sess-1}:a").getFound()).as("kept alive, on node " + node).isTrue();
        }
      }
      assertThat(ka.ttls).isNotEmpty().allMatch(t -> t == 1_000);
    }
    for (long node : cluster.ids()) {
      Await.until(WAIT, "the lease's keys are gone on node " + node,
          () -> !staleGet(node, "{sess-1}:a").getFound() && !staleGet(node, "{sess-1}:b").getFound());
      assertThat(staleGet(node, "{sess-1}:plain").getFound()).isTrue();
    }
    assertThatThrownBy(() -> lease(anyNode()).timeToLive(
        LeaseTimeToLiveRequest.newBuilder().setId(g.getId()).build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  @Order(1)
  void aKeepAliveStreamToANodeThatDoesNotLeadTheShardIsForwardedToTheLeader() {
    long ttl = 2_000;
    LeaseGrantResponse g = grant("{sess-fwd}", ttl);
    long shard = g.getHeader().getShardId();
    long leader = Await.value(WAIT, () -> cluster.leaderOf(shard).orElseThrow());
    long follower = cluster.ids().stream().filter(id -> id != leader && cluster.isRunning(id)).findFirst()
        .orElseThrow();
    try (KeepAlive ka = new KeepAlive(g.getId(), () -> follower, 250)) {
      put("{sess-fwd}:a", "1", g.getId());
      Await.until(WAIT, "the follower applied the put", () -> staleGet(follower, "{sess-fwd}:a").getFound());
      // Two TTLs through a follower's stream: renewed by the leader, the key stays.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * ttl);
      while (System.nanoTime() - until < 0) {
        assertThat(staleGet(follower, "{sess-fwd}:a").getFound()).as("kept alive through node " + follower)
            .isTrue();
      }
      assertThat(ka.ttls).hasSizeGreaterThan(5).allMatch(t -> t == ttl);
      assertThat(ka.renewedBy).as("answered by the leader").containsOnly(cluster.leaderOf(shard).orElseThrow());
    }
    Await.until(WAIT, "the lease's key is gone once the renewals stop",
        () -> !staleGet(follower, "{sess-fwd}:a").getFound());
  }

  @Test
  @Order(2)
  void aLockHolderThatStopsKeepingAliveLosesTheLockAfterTheTtlNotBefore() throws Exception {
    long ttl = 1_500;
    LeaseGrantResponse holder = grant("{job-2}", ttl);
    LeaseGrantResponse waiter = grant("{job-2}", 10_000);
    long shard = holder.getHeader().getShardId();
    LockAcquireResponse first = lock(anyNode()).acquire(LockAcquireRequest.newBuilder()
        .setName(b("{job-2}")).setLease(holder.getId()).setWait(true).build());
    assertThat(first.getAcquired()).isTrue();
    long lastKeepAlive;
    try (KeepAlive ka = new KeepAlive(holder.getId(), shard, 300)) {
      Await.until(WAIT, "a keep-alive answered", () -> !ka.ttls.isEmpty());
      CompletableFuture<LockAcquireResponse> second = CompletableFuture.supplyAsync(() ->
          LockGrpc.newBlockingStub(cluster.channel(anyNode())).withDeadlineAfter(20, TimeUnit.SECONDS)
              .acquire(LockAcquireRequest.newBuilder().setName(b("{job-2}")).setLease(waiter.getId())
                  .setWait(true).build()), pool);
      // Two TTLs while the holder keeps alive: the waiter must not get the lock.
      assertThat(second).failsWithin(Duration.ofMillis(2 * ttl)).withThrowableOfType(
          java.util.concurrent.TimeoutException.class);
      ka.close();
      lastKeepAlive = ka.lastSentNanos;
      LockAcquireResponse handed = second.get(20, TimeUnit.SECONDS);
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastKeepAlive);
      assertThat(handed.getAcquired()).isTrue();
      assertThat(handed.getToken()).isGreaterThan(first.getToken());
      // The leader's deadline starts when it received the last keep-alive, after it was sent.
      assertThat(waitedMillis).as("hand-off after the holder's TTL").isGreaterThanOrEqualTo(ttl);
    }
  }

  @Test
  @Order(3)
  void aStaleTokenWriteIsRefusedWhileANewerHolderExists() {
    LeaseGrantResponse a = grant("{res-3}", 10_000);
    LeaseGrantResponse b = grant("{res-3}", 10_000);
    long tokenA = lock(anyNode()).acquire(LockAcquireRequest.newBuilder().setName(b("{res-3}:lock"))
        .setLease(a.getId()).build()).getToken();
    cluster.kv(anyNode()).put(PutRequest.newBuilder().setKey(b("{res-3}:data")).setValue(b("from-a"))
        .setFence(Fence.newBuilder().setLock(b("{res-3}:lock")).setToken(tokenA)).build());
    // a's lease is revoked (as if it expired while a was paused); b takes the lock.
    lease(anyNode()).revoke(LeaseRevokeRequest.newBuilder().setId(a.getId()).build());
    long tokenB = lock(anyNode()).acquire(LockAcquireRequest.newBuilder().setName(b("{res-3}:lock"))
        .setLease(b.getId()).build()).getToken();
    assertThat(tokenB).isGreaterThan(tokenA);

    assertThatThrownBy(() -> cluster.kv(anyNode()).put(PutRequest.newBuilder().setKey(b("{res-3}:data"))
        .setValue(b("late-a")).setFence(Fence.newBuilder().setLock(b("{res-3}:lock")).setToken(tokenA)).build()))
        .isInstanceOf(StatusRuntimeException.class)
        .satisfies(e -> {
          assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(Status.fromThrowable(e).getDescription()).contains("newer holder");
        });
    assertThat(staleGetLinearizable("{res-3}:data")).isEqualTo("from-a");
    cluster.kv(anyNode()).put(PutRequest.newBuilder().setKey(b("{res-3}:data")).setValue(b("from-b"))
        .setFence(Fence.newBuilder().setLock(b("{res-3}:lock")).setToken(tokenB)).build());
    assertThat(staleGetLinearizable("{res-3}:data")).isEqualTo("from-b");
  }

  private String staleGetLinearizable(String key) {
    return cluster.kv(anyNode()).get(GetRequest.newBuilder().setKey(b(key)).build()).getKv().getValue().toStringUtf8();
  }

  @Test
  @Order(4)
  void waitersGetTheLockInArrivalOrder() throws Exception {
    LeaseGrantResponse holder = grant("{fifo}", 10_000);
    lock(anyNode()).acquire(LockAcquireRequest.newBuilder().setName(b("{fifo}")).setLease(holder.getId()).build());
    List<Long> order = new CopyOnWriteArrayList<>();
    List<CompletableFuture<LockAcquireResponse>> waiters = new ArrayList<>();
    List<Long> leases = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long id = grant("{fifo}", 10_000).getId();
      leases.add(id);
      waiters.add(CompletableFuture.supplyAsync(() -> {
        LockAcquireResponse r = LockGrpc.newBlockingStub(cluster.channel(anyNode()))
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .acquire(LockAcquireRequest.newBuilder().setName(b("{fifo}")).setLease(id).setWait(true).build());
        order.add(id);
        return r;
      }, pool));
      // Let this waiter's Acquire reach the log before the next one is sent (arrival order is the point).
      TimeUnit.MILLISECONDS.sleep(300);
    }
    long previousToken = 0;
    long current = holder.getId();
    for (int i = 0; i < 4; i++) {
      lock(anyNode()).release(LockReleaseRequest.newBuilder().setName(b("{fifo}")).setLease(current).build());
      LockAcquireResponse r = waiters.get(i).get(20, TimeUnit.SECONDS);
      assertThat(r.getToken()).isGreaterThan(previousToken);
      previousToken = r.getToken();
      current = leases.get(i);
    }
    assertThat(order).containsExactlyElementsOf(leases);
  }

  @Test
  @Order(5)
  void badInputGetsAClearStatusAndChangesNothing() {
    long node = anyNode();
    assertThat(code(() -> lease(node).grant(LeaseGrantRequest.newBuilder().setKey(b("k")).setTtlMillis(0).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(code(() -> lease(node).grant(LeaseGrantRequest.newBuilder().setKey(b("k"))
        .setTtlMillis(3_600_001).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    LeaseGrantResponse g = grant("{bad}", 10_000);
    long unknown = g.getId() + 1_000_000;
    assertThat(code(() -> lease(node).revoke(LeaseRevokeRequest.newBuilder().setId(unknown).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> lease(node).revoke(LeaseRevokeRequest.newBuilder().setId(0).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> lock(node).acquire(LockAcquireRequest.newBuilder().setName(b("{bad}"))
        .setLease(unknown).build()))).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> lock(node).release(LockReleaseRequest.newBuilder().setName(b("{bad}"))
        .setLease(g.getId()).build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(code(() -> cluster.kv(node).put(PutRequest.newBuilder().setKey(b("{bad}:k")).setValue(b("v"))
        .setLease(unknown).build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(staleGet(node, "{bad}:k").getFound()).isFalse();
    assertThat(lease(node).timeToLive(LeaseTimeToLiveRequest.newBuilder().setId(g.getId()).setKeys(true).build())
        .getKeysList()).isEmpty();
  }

  private static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  @Order(6)
  void leasesAreListedByTheNodesThatLeadTheirShard() {
    LeaseGrantResponse g = grant("{list}", 10_000);
    long leader = cluster.leaderOf(g.getHeader().getShardId()).orElseThrow();
    assertThat(lease(leader).leases(LeaseListRequest.getDefaultInstance()).getLeasesList())
        .anySatisfy(l -> {
          assertThat(l.getId()).isEqualTo(g.getId());
          assertThat(l.getGrantedTtlMillis()).isEqualTo(10_000);
        });
  }

  @Test
  @Order(10)
  void aNewLeaderGivesLeasesAFreshTtlInsteadOfExpiringThemEarly() {
    long ttl = 3_000;
    LeaseGrantResponse g = grant("{failover}", ttl);
    long shard = g.getHeader().getShardId();
    put("{failover}:k", "v", g.getId());
    long granted = System.nanoTime();
    long leader = cluster.leaderOf(shard).orElseThrow();
    long survivor = cluster.ids().stream().filter(id -> id != leader).findFirst().orElseThrow();
    Await.until(WAIT, "the survivor applied the write", () -> staleGet(survivor, "{failover}:k").getFound());
    // Two thirds of the TTL go by under the first leader (no keep-alive): the key is there all along.
    long lateInTheTtl = granted + TimeUnit.MILLISECONDS.toNanos(ttl * 2 / 3);
    while (System.nanoTime() - lateInTheTtl < 0) {
      assertThat(staleGet(survivor, "{failover}:k").getFound()).isTrue();
    }
    cluster.stop(leader); // the graceful path hands leadership over at once
    Await.until(WAIT, "a new leader", () -> cluster.leaderOf(shard).isPresent());
    // Well past the old leader's deadline, the new one still holds the lease: it started a full TTL on
    // taking over instead of guessing what was left.
    long pastOldDeadline = granted + TimeUnit.MILLISECONDS.toNanos(ttl + 1_000);
    while (System.nanoTime() - pastOldDeadline < 0) {
      assertThat(staleGet(survivor, "{failover}:k").getFound()).isTrue();
    }
    Await.until(WAIT, "the lease expires under the new leader",
        () -> !staleGet(survivor, "{failover}:k").getFound());
  }
}
