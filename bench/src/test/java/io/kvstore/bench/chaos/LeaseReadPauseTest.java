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
 * A leader paused with SIGSTOP must not answer reads from its lease when it wakes (issue 7). Nodes run
 * with {@code --lease-reads}; the nemesis pauses leaders for 3–7 s, four runs of 40 s. The server voids
 * every lease after a gap in its ticks longer than the drift margin (RaftWorker), before it handles any
 * message or read. Tagged soak for its length; run it with
 * {@code mvn -o -pl bench -Psoak test -Dtest=LeaseReadPauseTest}.
 */
@Tag("soak")
class LeaseReadPauseTest {

  @TempDir
  Path dir;

  @Test
  void pausedLeaderServesNoStaleRead() throws Exception {
    for (int i = 0; i < 4; i++) {
      ChaosConfig config = ChaosConfig.of("register", Duration.ofSeconds(40), EnumSet.of(FaultKind.PAUSE), 6,
          30 + i, dir.resolve("run-" + i)).withLeaseReads(true);
      ChaosResult r = new ChaosRun(config, System.out).run();
      assertThat(r.verdict()).as("run %d (seed %d), verdict.txt:%n%s", i, 30 + i,
          Files.readString(r.folder().resolve("verdict.txt"))).isEqualTo(Verdict.VALID);
    }
  }
}
