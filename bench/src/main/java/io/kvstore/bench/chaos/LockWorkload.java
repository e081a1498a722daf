package io.kvstore.bench.chaos;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.kvstore.bench.check.CheckResult;
import io.kvstore.bench.check.History;
import io.kvstore.bench.check.HistoryRecorder;
import io.kvstore.bench.check.LockChecker;
import io.kvstore.client.Coordination;
import io.kvstore.client.KvClient;
import io.kvstore.client.KvException;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.Fence;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.ScanRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The lock workload, which tests mutual exclusion with fencing: each client, in a loop, grants a lease
 * (TTL {@link #TTL_MS} ms, kept alive every third of it), acquires one of a few locks under it (waiting in
 * the lock's queue), makes a few guarded writes fenced with the lock's name and its token, releases the
 * lock and revokes the lease. A guarded write puts a unique key {@code <lock>:w:c<client>-<n>}, so the store
 * keeps every write that applied with the version (Raft index) that applied it; lock, lease and keys share
 * the lock's hash tag and so its shard, which makes tokens and versions indexes of one log.
 *
 * <p>Now and then a holder plays the paused process of the fencing argument: it stops its keep-alive and
 * sleeps past its TTL, so its lease expires and the lock passes on, then writes with its old token, which
 * the store must refuse once the next holder has the lock.
 *
 * <p>A refused write (FAILED_PRECONDITION, the fence) is FAIL: the store checks the fence when it applies
 * the write, and a refusal is final (a later copy of the same request is refused too, tokens only grow).
 * After the faults heal, one LINEARIZABLE scan per lock reads back every guarded write as
 * {@code value@version}: the final read {@link LockChecker} compares with the clients' history.
 */
final class LockWorkload implements Workload {
  static final long TTL_MS = 2_000;
  private static final int WRITES_PER_HOLD = 3;
  private static final Duration ACQUIRE_WAIT = Duration.ofSeconds(4);
  /** One hold in this many plays a paused holder. */
  private static final int PAUSE_ONE_IN = 4;

  private final int locks;
  private final long thinkMs;
  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong leaseFailures = new AtomicLong();
  private final AtomicLong pausedHolders = new AtomicLong();
  private final ScheduledExecutorService keepAlive = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "chaos-lock-keepalive");
    t.setDaemon(true);
    return t;
  });

  LockWorkload(int locks, long thinkMs) {
    this.locks = locks;
    this.thinkMs = thinkMs;
  }

  @Override
  public String name() {
    return "lock";
  }

  @Override
  public long issued() {
    return issued.get();
  }

  static String lockName(int i) {
    return "chaos-lock{l" + i + "}";
  }

  static String writePrefix(String lock) {
    return lock + ":w:";
  }

  @Override
  public void runClient(int client, KvClient kv, HistoryRecorder recorder, SplittableRandom random,
                        BooleanSupplier running) throws InterruptedException {
    Coordination c = kv.coordination();
    KvClient renewer = kv.withDeadline(Duration.ofMillis(TTL_MS / 3));
    long n = 0;
    while (running.getAsBoolean()) {
      String lock = lockName(random.nextInt(locks));
      ByteString name = ByteString.copyFromUtf8(lock);
      long lease;
      try {
        lease = c.grantLease(name, TTL_MS).join().getId();
      } catch (RuntimeException e) {
        leaseFailures.incrementAndGet(); // not in the history: a lease alone changes nothing checked
        TimeUnit.MILLISECONDS.sleep(200);
        continue;
      }
      ScheduledFuture<?> renewal = keepAlive.scheduleAtFixedRate(
          () -> renewer.coordination().keepAliveOnce(lease).exceptionally(e -> 0L),
          TTL_MS / 3, TTL_MS / 3, TimeUnit.MILLISECONDS);
      try {
        issued.incrementAndGet();
        HistoryRecorder.Pending acquire = recorder.invokeAcquire(client, lock, lease);
        long token;
        try {
          LockAcquireResponse r = c.acquire(name, lease, ACQUIRE_WAIT).join();
          token = r.getToken();
          acquire.okAcquire(token);
        } catch (RuntimeException e) {
          Outcomes.writeFailed(acquire, e); // revoking the lease below frees the lock if it was granted
          continue;
        }
        boolean pause = random.nextInt(PAUSE_ONE_IN) == 0;
        boolean refused = false;
        for (int i = 0; i < WRITES_PER_HOLD && !refused && running.getAsBoolean(); i++) {
          if (pause && i == 1) {
            // The paused holder: no more renewals, asleep past the TTL; the lock passes to a waiter.
            renewal.cancel(false);
            pausedHolders.incrementAndGet();
            TimeUnit.MILLISECONDS.sleep(TTL_MS + 1_000);
          }
          String value = "c" + client + "-" + (n++);
          issued.incrementAndGet();
          HistoryRecorder.Pending write = recorder.invokeGuardedPut(client, lock, value, token);
          try {
            PutResponse r = kv.put(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(writePrefix(lock) + value))
                .setValue(ByteString.copyFromUtf8(Long.toString(token)))
                .setFence(Fence.newBuilder().setLock(name).setToken(token)).build()).join();
            write.okGuardedPut(r.getVersion());
          } catch (RuntimeException e) {
            Throwable cause = Outcomes.unwrap(e);
            if (cause instanceof KvException k && k.code() == Status.Code.FAILED_PRECONDITION) {
              write.fail(Outcomes.describe(cause));
              refused = true;
            } else {
              Outcomes.writeFailed(write, e);
            }
          }
        }
        issued.incrementAndGet();
        HistoryRecorder.Pending release = recorder.invokeRelease(client, lock, lease, token);
        try {
          c.release(name, lease).join();
          release.ok();
        } catch (RuntimeException e) {
          Throwable cause = Outcomes.unwrap(e);
          if (cause instanceof KvException k && k.code() == Status.Code.FAILED_PRECONDITION) {
            release.fail(Outcomes.describe(cause)); // the lease no longer held it (it expired): nothing changed
          } else {
            Outcomes.writeFailed(release, e);
          }
        }
      } finally {
        renewal.cancel(false);
        c.revokeLease(lease).exceptionally(e -> null); // best effort: else it expires after the TTL
      }
      if (thinkMs > 0) {
        TimeUnit.MILLISECONDS.sleep(random.nextLong(2 * thinkMs + 1));
      }
    }
  }

  @Override
  public void finish(int client, KvClient kv, HistoryRecorder recorder, int attempts) throws InterruptedException {
    for (int l = 0; l < locks; l++) {
      String lock = lockName(l);
      String prefix = writePrefix(lock);
      ScanRequest scan = ScanRequest.newBuilder().setPrefix(ByteString.copyFromUtf8(prefix))
          .setConsistency(Consistency.CONSISTENCY_LINEARIZABLE).build();
      for (int attempt = 1; attempt <= attempts; attempt++) {
        HistoryRecorder.Pending p = recorder.invokeRead(client, lock);
        try {
          List<KeyValue> kvs = kv.scan(scan, 0).join();
          List<String> elements = new ArrayList<>(kvs.size());
          for (KeyValue e : kvs) {
            elements.add(e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()) + "@"
                + e.getVersion());
          }
          p.okRead(elements);
          break;
        } catch (RuntimeException e) {
          Outcomes.readFailed(p, e);
          TimeUnit.SECONDS.sleep(1);
        }
      }
    }
  }

  @Override
  public CheckResult check(History history) {
    return new LockChecker().check(history);
  }

  @Override
  public List<String> notes() {
    return List.of("{\"lease_grants_failed\":" + leaseFailures.get() + ",\"paused_holders\":" + pausedHolders.get()
        + "}");
  }

  @Override
  public void close() {
    keepAlive.shutdownNow();
  }
}
