package io.kvstore.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signals to a node process, with {@code sleep} standing in for the node (no JVM to start). */
class NodeProcessTest {
  @TempDir
  Path dir;

  @Test
  void aPauseInterruptedWhileSignallingIsStillResumedByTheHeal() throws Exception {
    // "sh -c 'exec sleep 600' java ..." runs sleep; the node's command line becomes ignored arguments.
    NodeProcess n = new NodeProcess(1, "127.0.0.1", 1, dir, List.of("sh", "-c", "exec sleep 600"), List.of());
    n.start();
    try {
      Thread.currentThread().interrupt(); // the nemesis is interrupted by stopAndHeal mid-fault
      assertThatThrownBy(n::pause).hasMessageContaining("interrupted while signalling");
      assertThat(Thread.interrupted()).isTrue();
      assertThat(awaitStopped(n.pid(), true)).as("the SIGSTOP landed").isEqualTo('T');
      n.resume(); // what stopAndHeal does for every node
      assertThat(awaitStopped(n.pid(), false)).as("running again").isNotEqualTo('T');
    } finally {
      n.kill9();
    }
  }

  /** Polls the process's state (at most 5 s) until it is stopped, or not; returns the last state seen. */
  private static char awaitStopped(long pid, boolean stopped) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    char s = state(pid);
    while ((s == 'T') != stopped && System.nanoTime() < deadline) {
      Thread.sleep(10);
      s = state(pid);
    }
    return s;
  }

  /** The state letter of /proc/PID/stat (T: stopped), read after the command name's closing parenthesis. */
  private static char state(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return stat.substring(stat.lastIndexOf(')') + 1).trim().charAt(0);
  }
}
