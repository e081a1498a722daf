package io.kvstore.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Short bounded runs (3 s each) of the real generator and gRPC driver against an in-test gRPC server. */
class LoadRunTest {
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private record Second(int second, boolean warmup, long ops) {}

  @Test
  void casWorkloadLoadsKeysThenRunsTheMixAndCountsEveryCompletionOnce() throws Exception {
    try (FakeKvServer server = new FakeKvServer(0)) {
      KeySpace keys = new KeySpace(500, 64, 1);
      List<KvDriver> clients = List.of(
          new GrpcStoreDriver(List.of(server.endpoint(), server.endpoint()), DEADLINE),
          new GrpcStoreDriver(List.of(server.endpoint()), DEADLINE));
      List<Second> seconds = Collections.synchronizedList(new ArrayList<>());
      try (BenchTarget target = new BenchTarget("kvstore", clients, keys.keyCount())) {
        KeyLoader.load(target, keys, 32, Duration.ofSeconds(30), 1);
        assertThat(server.keyCount()).isEqualTo(500);
        assertThat(server.puts.get()).isEqualTo(500);
        for (int k = 0; k < 500; k++) {
          assertThat(target.versions().get(k)).as("version of key %d", k).isPositive();
        }

        RunConfig config = new RunConfig(Workload.CAS, ReadConsistency.LINEARIZABLE, 32,
            Duration.ofSeconds(1), Duration.ofSeconds(2), 9);
        RunResult r = new LoadRun(target, config, keys, new ZipfianKeys(500, 0.99),
            (store, c, second, warmup, ops, errors, p99) -> seconds.add(new Second(second, warmup, ops)))
            .run();

        assertThat(r.errors()).isZero();
        assertThat(r.operations()).isPositive();
        assertThat(r.latency().count()).isEqualTo(r.operations());
        assertThat(r.latencyByType()).containsOnlyKeys(OpType.READ, OpType.CAS);
        long measured = r.latencyByType().get(OpType.READ).count() + r.latencyByType().get(OpType.CAS).count();
        assertThat(measured).isEqualTo(r.operations());
        // The mix on the wire, warm-up included, is 50/50.
        double casShare = server.cas.get() / (double) (server.cas.get() + server.gets.get());
        assertThat(casShare).isCloseTo(0.5, within(0.03));
        // Versions learnt from answers make most compare-and-swaps succeed; contention makes some fail.
        assertThat(server.casSucceeded.get()).isGreaterThan(server.cas.get() / 2);
        assertThat(r.casFailures()).isLessThanOrEqualTo(r.latencyByType().get(OpType.CAS).count());
        // Progress: one line per second, the first one warm-up; the measured seconds make up the total.
        assertThat(seconds).extracting(Second::second).containsExactly(1, 2, 3);
        assertThat(seconds).extracting(Second::warmup).containsExactly(true, false, false);
        assertThat(r.perSecondOps()).containsExactly(seconds.get(1).ops(), seconds.get(2).ops());
        assertThat(r.perSecondOps().stream().mapToLong(Long::longValue).sum()).isEqualTo(r.operations());
        assertThat(r.measuredSeconds()).isCloseTo(2.0, within(0.5));
        assertThat(r.generatorCpuCores()).isPositive();
        assertThat(r.clients()).isEqualTo(2);
        assertThat(r.store()).isEqualTo("kvstore");
      }
    }
  }

  @Test
  void failedRequestsAreCountedAsErrorsAndTheRunGoesOn() throws Exception {
    try (FakeKvServer server = new FakeKvServer(10)) {
      KeySpace keys = new KeySpace(100, 16, 2);
      try (BenchTarget target = new BenchTarget(
          "kvstore", List.of(new GrpcStoreDriver(List.of(server.endpoint()), DEADLINE)), keys.keyCount())) {
        // Connect first: with no warm-up, a fresh JVM's first connection would eat the measured second.
        target.clients().get(0).put(keys.key(0), keys.value(new java.util.SplittableRandom(1)))
            .handle((v, e) -> v).get();
        RunConfig config = new RunConfig(Workload.W, ReadConsistency.LINEARIZABLE, 8,
            Duration.ZERO, Duration.ofSeconds(1), 3);
        RunResult r = new LoadRun(target, config, keys, new UniformKeys(100), ProgressListener.NONE).run();
        assertThat(r.errors()).as("%s; server failed %d", r, server.failed.get()).isPositive();
        assertThat(r.operations()).isPositive();
        // One in ten fails: errors are about a ninth of the successes.
        assertThat(r.errors() / (double) r.operations()).isCloseTo(1 / 9.0, within(0.03));
        assertThat(r.latency().count()).isEqualTo(r.operations());
        assertThat(r.latencyByType()).containsOnlyKeys(OpType.UPDATE);
      }
    }
  }

  @Test
  void aDriverThatThrowsDoesNotStopTheRun() throws Exception {
    KvDriver broken = new KvDriver() {
      @Override
      public java.util.concurrent.CompletableFuture<Long> get(
          com.google.protobuf.ByteString key, ReadConsistency consistency) {
        throw new IllegalStateException("broken");
      }

      @Override
      public java.util.concurrent.CompletableFuture<Long> put(
          com.google.protobuf.ByteString key, com.google.protobuf.ByteString value) {
        return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("closed"));
      }

      @Override
      public java.util.concurrent.CompletableFuture<CasResult> compareAndSwap(
          com.google.protobuf.ByteString key, long expectedVersion, com.google.protobuf.ByteString value) {
        throw new UnsupportedOperationException();
      }

      @Override
      public String storeName() {
        return "broken";
      }

      @Override
      public String describe() {
        return "fails at once";
      }

      @Override
      public void close() {}
    };
    KeySpace keys = new KeySpace(10, 1, 3);
    try (BenchTarget target = new BenchTarget("broken", List.of(broken), keys.keyCount())) {
      RunConfig config = new RunConfig(Workload.A, ReadConsistency.STALE, 4, Duration.ZERO,
          Duration.ofSeconds(1), 5);
      RunResult r = new LoadRun(target, config, keys, new UniformKeys(10), ProgressListener.NONE).run();
      assertThat(r.operations()).isZero();
      assertThat(r.errors()).isPositive();
    }
  }
}
