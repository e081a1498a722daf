package io.kvstore.bench.chaos;

import io.kvstore.server.NodeMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One kvstore node as a child JVM ({@link NodeMain} on this JVM's class path), which this object can kill
 * with SIGKILL, pause with SIGSTOP, resume with SIGCONT and start again on the same data directory and
 * address. Signals go to the PID of the process this object started, never to anything found by name.
 *
 * <p>Methods block until the signal is sent (not until the node reacts). Thread-safe (synchronized): the
 * fault injector and the cleanup path may race.
 */
final class NodeProcess {
  private final int id;
  private final String host;
  private final int port;
  private final Path dataDir;
  private final List<String> command;
  private Process process;
  private boolean paused;
  private int starts;

  /**
   * @param launchPrefix command words before {@code java} (e.g. {@code ip netns exec NS}); may be empty
   * @param nodeFlags    flags of {@link NodeMain} besides node id, host, port and data directory
   */
  NodeProcess(int id, String host, int port, Path dataDir, List<String> launchPrefix, List<String> nodeFlags) {
    this(id, host, port, dataDir, launchPrefix, nodeFlags, System.getProperty("java.class.path"));
  }

  /** @param classPath the nodes' class path (e.g. a {@link ClassPathSnapshot}) */
  NodeProcess(int id, String host, int port, Path dataDir, List<String> launchPrefix, List<String> nodeFlags,
              String classPath) {
    this.id = id;
    this.host = host;
    this.port = port;
    this.dataDir = dataDir;
    List<String> c = new ArrayList<>(launchPrefix);
    c.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", // starts faster; restarts are frequent here
        "-XX:+ExitOnOutOfMemoryError",
        "-cp", classPath,
        NodeMain.class.getName(),
        "--node-id", Integer.toString(id),
        "--host", host,
        "--port", Integer.toString(port),
        "--data-dir", dataDir.toString()));
    c.addAll(nodeFlags);
    this.command = List.copyOf(c);
  }

  int id() {
    return id;
  }

  Path dataDir() {
    return dataDir;
  }

  String address() {
    return host + ":" + port;
  }

  /** Times this node was started. */
  synchronized int starts() {
    return starts;
  }

  /** Starts the node (again); its output is appended to {@code node.log} in its data directory. */
  synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("node " + id + " is already running (pid " + process.pid() + ")");
    }
    Files.createDirectories(dataDir);
    Path log = dataDir.resolve("node.log");
    Files.writeString(log, "=== start " + (starts + 1) + "\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    paused = false;
    starts++;
    Leftovers.note("pid", Long.toString(process.pid()));
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  synchronized boolean isPaused() {
    return paused;
  }

  synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** SIGKILL, then waits for the process to be gone (a paused process dies too). */
  synchronized void kill9() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroyForcibly(); // SIGKILL on Linux
    // Wait for the death even when interrupted (see signal): a healer that looks right after must not
    // see a process that is about to vanish as alive.
    boolean interrupted = awaitExit(process, 30);
    paused = false;
    if (process.isAlive()) {
      throw new IllegalStateException("node " + id + " (pid " + process.pid() + ") survived SIGKILL");
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      throw new InterruptedException("interrupted while killing node " + id + " (it is dead)");
    }
  }

  /** SIGSTOP: the JVM freezes, every thread and timer, as under a long GC pause or a stalled VM. */
  synchronized void pause() {
    if (isAlive() && !paused) {
      // Marked first: signal() throws when interrupted (stopAndHeal interrupts the nemesis) although the
      // SIGSTOP was sent, and a node left stopped but not marked paused was never resumed by the heal.
      paused = true;
      signal("STOP");
    }
  }

  /** SIGCONT. */
  synchronized void resume() {
    if (isAlive() && paused) {
      signal("CONT");
    }
    paused = false;
  }

  /** SIGCONT if paused, SIGTERM, then SIGKILL after {@code graceSeconds}. Never throws. */
  synchronized void stop(int graceSeconds) {
    if (process == null) {
      return;
    }
    try {
      resume();
      process.destroy();
      if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      process.destroyForcibly();
    }
  }

  /** The last lines of the node's log. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(dataDir.resolve("node.log"), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private void signal(String name) {
    long pid = process.pid();
    Process k;
    try {
      k = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("kill -" + name + " " + pid + ": " + e, e);
    }
    // Wait for the kill command even when interrupted (the nemesis is interrupted to stop): once started,
    // the signal lands anyway, and whoever heals next must see the node as it really is (a SIGKILL that
    // landed after the healer checked left a dead node behind).
    boolean interrupted = awaitExit(k, 10);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (k.isAlive() || k.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + pid + " failed");
    }
    if (interrupted) {
      throw new IllegalStateException("interrupted while signalling node " + id + " (the signal was sent)");
    }
  }

  /**
   * Waits up to {@code seconds} for {@code p} to exit, through interrupts.
   *
   * @return whether the thread was interrupted meanwhile (the caller decides what that means)
   */
  private static boolean awaitExit(Process p, long seconds) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (p.isAlive() && System.nanoTime() < deadline) {
      try {
        p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }
}
