package io.kvstore.client.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVMs on this test's class path: real processes, for tests that pipe their stdin, read their exit
 * status or kill them with SIGKILL. A small heap and the C1 compiler only, so they start fast on a busy
 * machine. The caller starts the process and must stop it (and its descendants) by its own handle.
 */
final class ChildJvm {
  private ChildJvm() {
  }

  /** {@code java -cp <this class path> <main> args...}. */
  static ProcessBuilder of(String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  /** Kvctl against {@code endpoints}. */
  static ProcessBuilder kvctl(String endpoints, String... args) {
    List<String> all = new ArrayList<>(List.of("--endpoints", endpoints));
    all.addAll(List.of(args));
    return of("io.kvstore.client.cli.Kvctl", all.toArray(String[]::new));
  }

  /** SIGKILLs {@code p} and everything it started (descendants first listed, then killed after it). */
  static void killHard(Process p) throws InterruptedException {
    List<ProcessHandle> children = p.descendants().toList();
    p.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no release, no revoke
    p.waitFor();
    children.forEach(ProcessHandle::destroyForcibly);
  }
}
