package io.kvstore.bench.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A multi-member etcd cluster on 127.0.0.1, each member a child process of this JVM with its own free
 * ports and its own data directory under {@code baseDir}. etcd's defaults are kept, fsync included: every
 * acknowledged write is on disk on a quorum, as kvstore's are.
 *
 * <p>Only the processes this class started are ever stopped, by their handles (PIDs): {@link #close()}
 * sends SIGTERM, waits, then SIGKILLs what is left. A JVM shutdown hook does the same on Ctrl-C, and the
 * PIDs are written to {@code baseDir/pids} so a wrapper script can stop them if this JVM is killed hard.
 *
 * <p>Not thread-safe: start and close from one thread.
 */
public final class EtcdCluster implements AutoCloseable {
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final Path baseDir;
  private final List<Process> processes;
  private final List<URI> clientUrls;
  private final Thread shutdownHook;

  private EtcdCluster(Path baseDir, List<Process> processes, List<URI> clientUrls) {
    this.baseDir = baseDir;
    this.processes = processes;
    this.clientUrls = clientUrls;
    this.shutdownHook = new Thread(this::stopAll, "etcd-cluster-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** The etcd binary: $ETCD_BIN, or {@code etcd} on the PATH; empty when neither exists. */
  public static Optional<Path> findBinary() {
    String env = System.getenv("ETCD_BIN");
    if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) {
      return Optional.of(Path.of(env));
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, "etcd");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Starts {@code members} members and blocks until every one reports healthy (a leader is elected).
   *
   * @param baseDir an empty or new directory for the members' data and logs
   * @throws IOException if etcd cannot be started or is not healthy within {@code timeout}; every member
   *     started so far is stopped first
   */
  public static EtcdCluster start(Path etcdBinary, Path baseDir, int members, Duration timeout)
      throws IOException, InterruptedException {
    if (members < 1) {
      throw new IllegalArgumentException("members must be at least 1, got " + members);
    }
    Files.createDirectories(baseDir);
    int[] ports = freePorts(2 * members);
    List<URI> clientUrls = new ArrayList<>();
    List<String> peers = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      clientUrls.add(URI.create("http://127.0.0.1:" + ports[2 * i]));
      peers.add(name(i) + "=http://127.0.0.1:" + ports[2 * i + 1]);
    }
    String initialCluster = String.join(",", peers);
    String token = "kvstore-bench-" + UUID.randomUUID();
    List<Process> processes = new ArrayList<>();
    EtcdCluster cluster = new EtcdCluster(baseDir, processes, List.copyOf(clientUrls));
    boolean ok = false;
    try {
      for (int i = 0; i < members; i++) {
        String peerUrl = "http://127.0.0.1:" + ports[2 * i + 1];
        String clientUrl = clientUrls.get(i).toString();
        Path log = baseDir.resolve(name(i) + ".log");
        ProcessBuilder pb = new ProcessBuilder(
            etcdBinary.toString(),
            "--name", name(i),
            "--data-dir", baseDir.resolve(name(i) + ".etcd").toString(),
            "--listen-client-urls", clientUrl,
            "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", token,
            "--initial-cluster-state", "new",
            "--logger", "zap",
            "--log-outputs", "stderr");
        pb.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        processes.add(pb.start());
        cluster.writePids();
      }
      cluster.awaitHealthy(timeout);
      ok = true;
      return cluster;
    } finally {
      if (!ok) {
        cluster.close();
      }
    }
  }

  /** The members' client URLs, e.g. http://127.0.0.1:41235. */
  public List<URI> clientUrls() {
    return clientUrls;
  }

  /** The PIDs of the members this cluster started. */
  public List<Long> pids() {
    return processes.stream().map(Process::pid).collect(Collectors.toList());
  }

  /** Whether every member process is still running. */
  public boolean allAlive() {
    return !processes.isEmpty() && processes.stream().allMatch(Process::isAlive);
  }

  /** Stops every member this cluster started and waits until they are gone. Idempotent. */
  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook is running or ran
    }
  }

  private void stopAll() {
    for (Process p : processes) {
      p.destroy(); // SIGTERM to this PID only
    }
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    for (Process p : processes) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!p.waitFor(left, java.util.concurrent.TimeUnit.NANOSECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < clientUrls.size(); i++) {
      URI health = clientUrls.get(i).resolve("/health");
      while (true) {
        Process p = processes.get(i);
        if (!p.isAlive()) {
          throw new IOException(name(i) + " exited with status " + p.exitValue() + " while starting:\n"
              + tail(baseDir.resolve(name(i) + ".log")));
        }
        if (isHealthy(http, health)) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("etcd member " + name(i) + " was not healthy within " + timeout.toSeconds()
              + " s:\n" + tail(baseDir.resolve(name(i) + ".log")));
        }
        Thread.sleep(100); // a child process's readiness: no event to wait on but its HTTP answer
      }
    }
  }

  private static boolean isHealthy(HttpClient http, URI health) throws InterruptedException {
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
    } catch (IOException e) {
      return false;
    }
  }

  private void writePids() {
    try {
      Files.writeString(baseDir.resolve("pids"),
          pids().stream().map(String::valueOf).collect(Collectors.joining("\n", "", "\n")),
          StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static String name(int i) {
    return "e" + (i + 1);
  }

  /** Ports free right now on 127.0.0.1 (another process could take one before etcd binds it; rare). */
  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }
}
