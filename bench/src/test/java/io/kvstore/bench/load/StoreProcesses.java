package io.kvstore.bench.load;

import io.kvstore.client.Endpoint;
import io.kvstore.server.NodeMain;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A kvstore cluster of real nodes for tests: each node a child JVM ({@link NodeMain}, this test's class
 * path) on a free loopback port with its own data directory. {@link #close()} stops exactly these
 * processes: SIGTERM, then SIGKILL after a grace period.
 */
final class StoreProcesses implements AutoCloseable {
  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final List<Endpoint> endpoints = new ArrayList<>();

  StoreProcesses(Path dir, int nodes) throws IOException {
    this.dir = dir;
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        ports.add(s.getLocalPort());
      }
    }
    StringBuilder initial = new StringBuilder();
    for (int i = 0; i < nodes; i++) {
      initial.append(i == 0 ? "" : ",").append(i + 1).append("=127.0.0.1:").append(ports.get(i));
      endpoints.add(new Endpoint("127.0.0.1", ports.get(i)));
    }
    try {
      for (int i = 0; i < nodes; i++) {
        Path data = dir.resolve("node-" + (i + 1));
        Files.createDirectories(data);
        processes.add(new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", // starts faster; this cluster is for function, not speed
            "-cp", System.getProperty("java.class.path"),
            NodeMain.class.getName(),
            "--node-id", Integer.toString(i + 1),
            "--port", Integer.toString(ports.get(i)),
            "--metrics-port", "-1",
            "--data-dir", data.toString(),
            "--initial-cluster", initial.toString(),
            "--shards", "4",
            "--shutdown-timeout-ms", "2000")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("node.log").toFile()))
            .start());
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  List<Endpoint> endpoints() {
    return endpoints;
  }

  /** Throws, with the node's log, when a node has exited. */
  void assertAlive() {
    for (int i = 0; i < processes.size(); i++) {
      if (!processes.get(i).isAlive()) {
        throw new AssertionError("node " + (i + 1) + " exited:\n" + log(i + 1));
      }
    }
  }

  String log(int node) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("node-" + node).resolve("node.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
