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
import java.util.List;
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
 *
 * <p>Half of the LEASE reads skip the routing client and go straight to one node chosen at random, in one
 * attempt ({@link DirectReads}): after a pause, the woken former leader gets reads from clients that did
 * not see it go away, and must not answer them from a lease that has run out.
 */
final class RegisterWorkload implements Workload {
  private final int opsPerKey;
  private final long thinkMs;
  private final AtomicInteger[] used;
  private final AtomicInteger[] generation;
  private final Map<String, String> lastSeen = new ConcurrentHashMap<>();
  private final AtomicLong issued = new AtomicLong();
  private final DirectReads direct;
  private final java.util.Queue<String> notes = new java.util.concurrent.ConcurrentLinkedQueue<>();

  RegisterWorkload(int slots, int opsPerKey, long thinkMs, DirectReads direct) {
    this.direct = direct;
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
        int node = c == Consistency.CONSISTENCY_LEASE && random.nextBoolean() ? random.nextInt(direct.nodes()) : -1;
        long invoked = recorder.now();
        try {
          GetResponse r = node >= 0 ? direct.get(node, k, c) : kv.get(k, c).join();
          note(client, key, c, node, invoked, recorder.now(), "ok", r.getFound()
              ? r.getKv().getValue().toString(StandardCharsets.UTF_8) : null, r);
          String v = r.getFound() ? r.getKv().getValue().toString(StandardCharsets.UTF_8) : null;
          p.okGet(v);
          if (v != null) {
            lastSeen.put(key, v);
          }
        } catch (RuntimeException e) {
          Outcomes.readFailed(p, e);
          note(client, key, c, node, invoked, recorder.now(), "fail", null, null);
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

  /**
   * One line per read: its consistency, where it was sent (a node, or "router" for the routing client) and
   * which node, term and shard answered, so an anomalous read can be traced to the replica that served it.
   */
  private void note(int client, String key, Consistency c, int node, long invoked, long completed, String outcome,
                    String value, GetResponse r) {
    StringBuilder b = new StringBuilder("{\"client\":").append(client).append(",\"key\":\"").append(key)
        .append("\",\"consistency\":\"").append(c == Consistency.CONSISTENCY_LEASE ? "lease" : "linearizable")
        .append("\",\"sent_to\":").append(node < 0 ? "\"router\"" : Integer.toString(node + 1))
        .append(",\"invoke_ns\":")
        .append(invoked).append(",\"complete_ns\":").append(completed).append(",\"outcome\":\"").append(outcome)
        .append('"');
    if (r != null) {
      b.append(",\"value\":").append(value == null ? "null" : "\"" + value + "\"")
          .append(",\"answered_by\":").append(r.getHeader().getNodeId())
          .append(",\"term\":").append(r.getHeader().getTerm())
          .append(",\"shard\":").append(r.getHeader().getShardId());
    }
    notes.add(b.append('}').toString());
  }

  @Override
  public List<String> notes() {
    return List.copyOf(notes);
  }

  @Override
  public void close() {
    direct.close();
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
