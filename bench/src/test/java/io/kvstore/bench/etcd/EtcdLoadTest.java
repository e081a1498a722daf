package io.kvstore.bench.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvstore.bench.load.BenchTarget;
import io.kvstore.bench.load.KeyLoader;
import io.kvstore.bench.load.KeySpace;
import io.kvstore.bench.load.LoadRun;
import io.kvstore.bench.load.OpType;
import io.kvstore.bench.load.ProgressListener;
import io.kvstore.bench.load.ReadConsistency;
import io.kvstore.bench.load.RunConfig;
import io.kvstore.bench.load.RunResult;
import io.kvstore.bench.load.Workload;
import io.kvstore.bench.load.ZipfianKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-member etcd started by the test (skipped, saying why, when etcd is not installed), loaded for a
 * few seconds through jetcd by the same generator that loads kvstore, then stopped by PID.
 */
class EtcdLoadTest {
  @TempDir Path dir;

  @Test
  void boundedRunsAgainstAThreeMemberEtcdThenEveryMemberIsStopped() throws Exception {
    Path etcd = EtcdCluster.findBinary().orElse(null);
    assumeTrue(etcd != null,
        "etcd is not installed (apt-get install etcd-server etcd-client, or set ETCD_BIN): skipping the etcd run");
    List<Long> pids;
    KeySpace keys;
    try (EtcdCluster cluster = EtcdCluster.start(etcd, dir, 3, Duration.ofSeconds(60))) {
      pids = cluster.pids();
      assertThat(pids).hasSize(3);
      assertThat(cluster.allAlive()).isTrue();
      assertThat(Files.readAllLines(dir.resolve("pids"))).containsExactlyElementsOf(
          pids.stream().map(String::valueOf).toList());

      keys = new KeySpace(200, 256, 1);
      try (BenchTarget target = new BenchTarget("etcd",
          List.of(new JetcdDriver(cluster.clientUrls(), Duration.ofSeconds(10))), keys.keyCount())) {
        KeyLoader.load(target, keys, 32, Duration.ofSeconds(60), 1);
        // The first read also proves the version of a loaded key is its mod revision (> 0).
        long version = target.clients().get(0).get(keys.key(0), ReadConsistency.LINEARIZABLE).get();
        assertThat(version).isPositive();

        // CAS: reads and Txn compare-and-swaps (the loader did the puts).
        RunConfig config = new RunConfig(Workload.CAS, ReadConsistency.LINEARIZABLE, 32, Duration.ofSeconds(1),
            Duration.ofSeconds(2), 5);
        RunResult r = new LoadRun(target, config, keys, new ZipfianKeys(200, 0.99), ProgressListener.NONE).run();
        assertThat(r.errors()).isZero();
        assertThat(r.operations()).isPositive();
        assertThat(r.latency().p99Ms()).isPositive();
        // Versions learnt from answers make some compare-and-swaps succeed.
        assertThat(r.casFailures()).isLessThan(r.latencyByType().get(OpType.CAS).count());
      }
      // The same load through etcd's own gRPC stubs (the client stack kvstore's plain driver uses).
      try (BenchTarget target = new BenchTarget("etcd",
          List.of(new EtcdGrpcDriver(cluster.clientUrls(), Duration.ofSeconds(10))), keys.keyCount())) {
        long version = target.clients().get(0).get(keys.key(0), ReadConsistency.LINEARIZABLE).get();
        assertThat(version).as("a key loaded through jetcd, read through the stubs").isPositive();
        RunConfig config = new RunConfig(Workload.CAS, ReadConsistency.STALE, 32, Duration.ofSeconds(1),
            Duration.ofSeconds(1), 6);
        RunResult r = new LoadRun(target, config, keys, new ZipfianKeys(200, 0.99), ProgressListener.NONE).run();
        assertThat(r.errors()).isZero();
        assertThat(r.operations()).isPositive();
        assertThat(r.casFailures()).isLessThan(r.latencyByType().get(OpType.CAS).count());
      }
    }
    for (long pid : pids) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
          .as("etcd member %d after close", pid).isFalse();
    }
  }
}
