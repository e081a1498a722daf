package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.kvstore.client.Coordination;
import io.kvstore.client.KvClient;
import io.kvstore.client.KvException;
import io.kvstore.proto.v1.Fence;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.PutRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lock holder that is a real process, killed with SIGKILL: {@code kvctl lock} in a child JVM holds a lock
 * under a 2 s lease and keeps it alive. While it lives, nobody else gets the lock, for several TTLs. Once it
 * is killed (no release, no revoke), a queued waiter gets the lock after the lease's TTL runs out on the
 * leader — not before — and within the TTL plus a few ticks and some slack for a busy machine; the dead
 * holder's token is then refused by the fence.
 */
class LockHolderKillTest {
  private static final long TTL_MS = 2_000;
  /** The child renews every third of the TTL (kvctl lock), so its last renewal is at most this old at the kill. */
  private static final long RENEWAL_MS = TTL_MS / 3;
  /** Clock granularity on the lower bound: the nodes tick every 20 ms; the expiry is decided on a tick. */
  private static final long MARGIN_MS = 100;
  /** The upper bound's allowance over the TTL: a few ticks, the expiry's Raft round, a loaded 2-core machine. */
  private static final long SLACK_MS = 2_500;

  @TempDir Path dir;
  private RealCluster cluster;
  private KvClient client;
  private Process holder;

  @AfterEach
  void stop() throws InterruptedException {
    if (holder != null && holder.isAlive()) {
      ChildJvm.killHard(holder);
    }
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aKilledHolderKeepsTheLockUntilItsTtlRunsOutAndLosesItThen() throws Exception {
    cluster = new RealCluster(dir.resolve("cluster"), 3, 2);
    client = cluster.client().build();
    Coordination c = client.coordination();
    ByteString lock = ByteString.copyFromUtf8("{kill9}");
    Path held = dir.resolve("held");

    // Our own lease outlives the test, so only the child's lease can time out. Granting it also waits until
    // the lock's shard has a leader, before the child's first call.
    long mine = Coordination.await(client.withDeadline(Duration.ofSeconds(60)).coordination()
        .grantLease(lock, 60_000)).getId();

    // The child: kvctl lock runs a shell that reports the token and lease, then lives as long as kvctl does.
    holder = ChildJvm.kvctl(cluster.seeds(), "--timeout", "30s", "lock", "{kill9}", "--ttl", TTL_MS + "ms", "--wait", "60s", "--",
            "sh", "-c", "echo \"$KVSTORE_LOCK_TOKEN $KVSTORE_LEASE_ID\" > " + held + ".tmp && mv " + held + ".tmp "
                + held + "; while kill -0 $PPID 2>/dev/null; do sleep 0.1; done")
        .redirectErrorStream(true).redirectOutput(dir.resolve("kvctl.log").toFile()).start();
    RealCluster.await(Duration.ofSeconds(90), "the child holds the lock (kvctl.log: " + dir.resolve("kvctl.log") + ")",
        () -> Files.exists(held) || !holder.isAlive());
    assertThat(holder.isAlive()).as("kvctl lock is running: %s", log()).isTrue();
    String[] tokenAndLease = Files.readString(held).trim().split(" ");
    long holderToken = Long.parseLong(tokenAndLease[0]);
    long holderLease = Long.parseUnsignedLong(tokenAndLease[1]);

    // Keep-alive: for three TTLs the child's lease is renewed and every try-acquire is refused.
    long keptUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * TTL_MS);
    int tries = 0;
    while (System.nanoTime() < keptUntil) {
      LockAcquireResponse r = Coordination.await(c.tryAcquire(lock, mine));
      assertThat(r.getAcquired()).as("try %d while the holder lives", tries).isFalse();
      assertThat(r.getHolderLease()).isEqualTo(holderLease);
      tries++;
      TimeUnit.MILLISECONDS.sleep(200);
    }
    assertThat(tries).isGreaterThan(5);
    assertThat(holder.isAlive()).isTrue();

    // Queue behind the holder, then kill it.
    CompletableFuture<LockAcquireResponse> waiter = c.acquire(lock, mine, Duration.ofSeconds(30));
    TimeUnit.MILLISECONDS.sleep(300); // let the waiter's Acquire be applied (queued) before the kill
    assertThat(waiter).isNotDone();
    long killed = System.nanoTime();
    ChildJvm.killHard(holder);
    long ttlLeft = Coordination.await(c.timeToLive(holderLease, false)).getTtlLeftMillis();
    long askedAfterKillMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);

    LockAcquireResponse got = waiter.get(30, TimeUnit.SECONDS);
    long freedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    System.out.printf("LockHolderKillTest: TTL %d ms; %d ms left %d ms after the kill; the waiter got the lock %d ms"
        + " after the kill%n", TTL_MS, ttlLeft, askedAfterKillMs, freedAfterMs);
    assertThat(got.getAcquired()).isTrue();
    assertThat(got.getToken()).as("the new holder's token").isGreaterThan(holderToken);
    // Not before: the leader still counted ttlLeft ms right after the kill, and the child's last renewal was
    // at most one renewal period before it.
    assertThat(freedAfterMs).as("freed no earlier than the TTL the leader had left")
        .isGreaterThanOrEqualTo(askedAfterKillMs + ttlLeft - MARGIN_MS)
        .isGreaterThanOrEqualTo(TTL_MS - RENEWAL_MS - MARGIN_MS);
    assertThat(freedAfterMs).as("freed within the TTL, a few ticks and slack").isLessThanOrEqualTo(TTL_MS + SLACK_MS);

    // The dead holder's lease is gone, and its token is refused.
    assertThatThrownBy(() -> Coordination.await(c.timeToLive(holderLease, false)))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND));
    PutRequest stale = PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("{kill9}:state"))
        .setValue(ByteString.copyFromUtf8("from the dead"))
        .setFence(Fence.newBuilder().setLock(lock).setToken(holderToken)).build();
    assertThatThrownBy(() -> Coordination.await(client.put(stale)))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    Coordination.await(c.release(lock, mine));
    Coordination.await(c.revokeLease(mine));
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("kvctl.log"), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
