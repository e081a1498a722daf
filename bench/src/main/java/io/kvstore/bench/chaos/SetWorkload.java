package io.kvstore.bench.chaos;

import com.google.protobuf.ByteString;
import io.kvstore.bench.check.CheckResult;
import io.kvstore.bench.check.History;
import io.kvstore.bench.check.HistoryRecorder;
import io.kvstore.bench.check.SetChecker;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.ScanRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The set workload, which catches lost writes: clients add unique elements ({@code c<client>-<n>}) to a
 * few sets concurrently through the faults; an element is a key {@code chaos-set{s<i>}:<element>}, the hash
 * tag {@code {s<i>}} keeping one set in one shard. After the faults heal, one LINEARIZABLE scan per set is
 * the final read that must hold every acknowledged element ({@link SetChecker}).
 */
final class SetWorkload implements Workload {
  private final int sets;
  private final long thinkMs;
  private final AtomicLong issued = new AtomicLong();

  SetWorkload(int sets, long thinkMs) {
    this.sets = sets;
    this.thinkMs = thinkMs;
  }

  @Override
  public String name() {
    return "set";
  }

  @Override
  public long issued() {
    return issued.get();
  }

  static String prefix(String set) {
    return "chaos-set{" + set + "}:";
  }

  @Override
  public void runClient(int client, KvClient kv, HistoryRecorder recorder, SplittableRandom random,
                        BooleanSupplier running) throws InterruptedException {
    long n = 0;
    while (running.getAsBoolean()) {
      String set = "s" + random.nextInt(sets);
      String element = "c" + client + "-" + (n++);
      issued.incrementAndGet();
      HistoryRecorder.Pending p = recorder.invokeAdd(client, set, element);
      try {
        kv.put(ByteString.copyFromUtf8(prefix(set) + element), ByteString.copyFromUtf8(element)).join();
        p.ok();
      } catch (RuntimeException e) {
        Outcomes.writeFailed(p, e);
      }
      if (thinkMs > 0) {
        TimeUnit.MILLISECONDS.sleep(random.nextLong(2 * thinkMs + 1));
      }
    }
  }

  @Override
  public void finish(int client, KvClient kv, HistoryRecorder recorder, int attempts) throws InterruptedException {
    for (int s = 0; s < sets; s++) {
      String set = "s" + s;
      String prefix = prefix(set);
      ScanRequest scan = ScanRequest.newBuilder().setPrefix(ByteString.copyFromUtf8(prefix))
          .setConsistency(Consistency.CONSISTENCY_LINEARIZABLE).build();
      for (int attempt = 1; attempt <= attempts; attempt++) {
        HistoryRecorder.Pending p = recorder.invokeRead(client, set);
        try {
          List<KeyValue> kvs = kv.scan(scan, 0).join();
          List<String> elements = new ArrayList<>(kvs.size());
          for (KeyValue e : kvs) {
            elements.add(e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()));
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
    return new SetChecker().check(history);
  }
}
