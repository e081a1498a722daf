package io.kvstore.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator against real kvstore nodes (3 child JVMs), through both store drivers: short bounded runs.
 * Figures are not asserted: only that the generator and drivers work end to end.
 */
class StoreLoadTest {
  @TempDir Path dir;

  @Test
  void boundedRunsThroughTheRoutingClientAndThePlainStubs() throws Exception {
    try (StoreProcesses cluster = new StoreProcesses(dir, 3)) {
      KeySpace keys = new KeySpace(300, 256, 1);
      Duration deadline = Duration.ofSeconds(10);
      try (BenchTarget routing = new BenchTarget("kvstore",
          List.of(new RoutingClientDriver(cluster.endpoints(), deadline)), keys.keyCount())) {
        awaitFirstWrite(cluster, routing.clients().get(0), keys);
        // Writes every key through the routing client, whose retries ride out the shards' first elections:
        // afterwards every shard has a leader.
        KeyLoader.load(routing, keys, 32, Duration.ofSeconds(90), 1);
        RunResult r = new LoadRun(routing,
            new RunConfig(Workload.CAS, ReadConsistency.LINEARIZABLE, 32, Duration.ofSeconds(1),
                Duration.ofSeconds(2), 3),
            keys, new ZipfianKeys(keys.keyCount(), 0.99), ProgressListener.NONE).run();
        assertThat(r.errors()).as("routing client errors: %s", r).isZero();
        assertThat(r.operations()).isPositive();
        assertThat(r.latencyByType()).containsOnlyKeys(OpType.READ, OpType.CAS);
        assertThat(r.casFailures()).isLessThan(r.latencyByType().get(OpType.CAS).count());
      }
      try (BenchTarget stubs = new BenchTarget("kvstore",
          List.of(new GrpcStoreDriver(cluster.endpoints(), deadline)), keys.keyCount())) {
        RunResult r = new LoadRun(stubs,
            new RunConfig(Workload.A, ReadConsistency.LINEARIZABLE, 32, Duration.ofSeconds(1),
                Duration.ofSeconds(2), 4),
            keys, new UniformKeys(keys.keyCount()), ProgressListener.NONE).run();
        // The plain stubs do not retry: a leader change on this shared machine may fail a few requests.
        assertThat(r.operations()).as("%s", r).isPositive();
        assertThat(r.errors()).as("%s", r).isLessThan(Math.max(1, r.operations() / 100));
        assertThat(r.latencyByType()).containsOnlyKeys(OpType.READ, OpType.UPDATE);
      }
      cluster.assertAlive();
    }
  }

  /** Waits (bounded) until the cluster takes a write: the nodes are child JVMs that need a while to start. */
  private static void awaitFirstWrite(StoreProcesses cluster, KvDriver driver, KeySpace keys)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      cluster.assertAlive();
      try {
        driver.put(keys.key(0), keys.value(new java.util.SplittableRandom(0))).get(15, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the cluster took no write within 90 s; node 1's log:\n" + cluster.log(1), e);
        }
      }
    }
  }
}
