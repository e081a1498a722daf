package io.kvstore.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.bench.check.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes as a fault, combined with kill -9 (issue 10): a spare node joins, its shards move to
 * it, then it is drained and removed, again and again, while leaders are killed; the register history must
 * stay linearizable and the set must lose no acknowledged element. Tagged soak for its length (two runs
 * of 60 s); run it with {@code mvn -o -pl bench -Psoak test -Dtest=MembershipChaosTest}, or by hand with
 * {@code scripts/chaos --faults membership,kill --workload register --time 60}.
 */
@Tag("soak")
class MembershipChaosTest {

  @TempDir
  Path dir;

  @Test
  void movesAndKillsKeepTheHistoriesValid() throws Exception {
    String[] workloads = {"register", "set"};
    for (int i = 0; i < workloads.length; i++) {
      ChaosConfig config = ChaosConfig.of(workloads[i], Duration.ofSeconds(60),
          EnumSet.of(FaultKind.MEMBERSHIP, FaultKind.KILL), 4, 70 + i, dir.resolve("run-" + i));
      ChaosResult r = new ChaosRun(config, System.out).run();
      assertThat(r.verdict()).as("%s run (seed %d), verdict.txt:%n%s", workloads[i], 70 + i,
          Files.readString(r.folder().resolve("verdict.txt"))).isEqualTo(Verdict.VALID);
    }
  }
}
