package io.kvstore.bench.chaos;

import com.google.protobuf.ByteString;
import io.kvstore.bench.check.CheckResult;
import io.kvstore.bench.check.History;
import io.kvstore.bench.check.HistoryRecorder;
import io.kvstore.bench.check.LinearizabilityChecker;
import io.kvstore.bench.check.SearchBudget;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The register workload: clients read (LINEARIZABLE and LEASE), write and compare-and-swap a few shared
 * keys, every written value unique ({@code c<client>-<n>}) so the checker can tell writes apart.
 *
 * <p>Keys rotate, as in Jepsen's independent keys: {@code slots} keys are in use at a time, and a key that
 * has seen {@code opsPerKey} operations is replaced by a fresh one ({@code chaos-r<slot>-<generation>}),
 * which keeps each key's history small enough for the linearizability search. A CAS expects the value
 * last seen on that key (by any client), or expects the key absent (version 0) while none was seen.
 */
final class RegisterWorkload implements Workload {
  private final int opsPerKey;
  private final long thinkMs;
  private final AtomicInteger[] used;
  private final AtomicInteger[] generation;
  private final Map<String, String> lastSeen = new ConcurrentHashMap<>();
  private final AtomicLong issued = new AtomicLong();

  RegisterWorkload(int slots, int opsPerKey, long thinkMs) {
    this.opsPerKey = opsPerKey;
    this.thinkMs = thinkMs;
    this.used = new AtomicInteger[slots];
    this.generation = new AtomicInteger[slots];
    for (int i = 0; i < slots; i++) {
      used[i] = new AtomicInteger();
      generation[i] = new AtomicInteger();
    }
  }

  @Override
  public String name() {
    return "register";
  }

  @Override
  public long issued() {
    return issued.get();
  }

  private String nextKey(SplittableRandom random) {
    int slot = random.nextInt(used.length);
    synchronized (used[slot]) {
      if (used[slot].incrementAndGet() > opsPerKey) {
        used[slot].set(1);
        generation[slot].incrementAndGet();
      }
      return "chaos-r" + slot + "-" + generation[slot].get();
    }
  }

  @Override
  public void runClient(int client, KvClient kv, HistoryRecorder recorder, SplittableRandom random,
                        BooleanSupplier running) throws InterruptedException {
    long n = 0;
    while (running.getAsBoolean()) {
      String key = nextKey(random);
      ByteString k = ByteString.copyFromUtf8(key);
      int dice = random.nextInt(100);
      issued.incrementAndGet();
      if (dice < 40) {
        Consistency c = dice < 25 ? Consistency.CONSISTENCY_LINEARIZABLE : Consistency.CONSISTENCY_LEASE;
        HistoryRecorder.Pending p = recorder.invokeGet(client, key);
        try {
          GetResponse r = kv.get(k, c).join();
          String v = r.getFound() ? r.getKv().getValue().toString(StandardCharsets.UTF_8) : null;
          p.okGet(v);
          if (v != null) {
            lastSeen.put(key, v);
          }
        } catch (RuntimeException e) {
          Outcomes.readFailed(p, e);
        }
      } else {
        String value = "c" + client + "-" + (n++);
        ByteString v = ByteString.copyFromUtf8(value);
        if (dice < 70) {
          HistoryRecorder.Pending p = recorder.invokePut(client, key, value);
          try {
            kv.put(k, v).join();
            p.ok();
            lastSeen.put(key, value);
          } catch (RuntimeException e) {
            Outcomes.writeFailed(p, e);
          }
        } else {
          String expected = lastSeen.get(key);
          HistoryRecorder.Pending p = recorder.invokeCas(client, key, expected, value);
          try {
            CompareAndSwapResponse r = expected == null
                ? kv.compareAndSwapVersion(k, 0, v).join()
                : kv.compareAndSwap(k, ByteString.copyFromUtf8(expected), v).join();
            p.okCas(r.getSucceeded());
            if (r.getSucceeded()) {
              lastSeen.put(key, value);
            } else if (r.hasCurrent()) {
              lastSeen.put(key, r.getCurrent().getValue().toString(StandardCharsets.UTF_8));
            }
          } catch (RuntimeException e) {
            Outcomes.writeFailed(p, e);
          }
        }
      }
      if (thinkMs > 0) {
        TimeUnit.MILLISECONDS.sleep(random.nextLong(2 * thinkMs + 1));
      }
    }
  }

  @Override
  public void finish(int client, KvClient kv, HistoryRecorder recorder, int attempts) {
    // A register history needs no final read: every read during the run is checked.
  }

  @Override
  public CheckResult check(History history) {
    SearchBudget budget = SearchBudget.defaults().withMaxTime(Duration.ofSeconds(60));
    return new LinearizabilityChecker(budget, Runtime.getRuntime().availableProcessors()).check(history);
  }
}
