package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.kvstore.client.KvClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python example (examples/python) keeps working: stubs generated from proto/ with grpc_tools, then
 * put and get through different nodes of a real cluster, and the Java client sees the same data.
 * Skipped, with a message that says what to install, when no python3 with grpcio and grpc_tools exists.
 */
class PythonClientE2eTest {
  /** A 3-node cluster (weights 1, 2, 3; 4 shards) for this class's tests; stopped after them. */
  @TempDir static Path clusterDir;
  static RealCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = new RealCluster(clusterDir, 3, 4, new int[] {1, 2, 3});
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @TempDir Path gen;

  record Result(int status, String out, String err) {}

  static Result run(List<String> command, Path gen) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("KVSTORE_PY_GEN", gen.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  /** The first python3 that imports grpc and grpc_tools (a pyenv python3 may shadow Debian's). */
  static String python() throws InterruptedException {
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import grpc, grpc_tools").start();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // not installed under this name
      }
    }
    return null;
  }

  @Test
  void aGeneratedPythonClientPutsAndGetsThroughAnyNode() throws Exception {
    String python = python();
    assumeTrue(python != null,
        "no python3 with grpcio and grpc_tools: apt-get install python3-grpcio python3-grpc-tools");
    Path examples = Path.of("").toAbsolutePath().getParent().resolve("examples/python");

    List<String> generate = List.of("bash", examples.resolve("generate.sh").toString(), gen.toString());
    ProcessBuilder pb = new ProcessBuilder(generate);
    pb.environment().put("PYTHON", python);
    Process g = pb.start();
    assertThat(g.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(g.exitValue()).as(new String(g.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    assertThat(gen.resolve("kvstore/v1/kv_pb2_grpc.py")).exists();

    String client = examples.resolve("kv_client.py").toString();
    Result put = run(List.of(python, client, "--endpoint", cluster.address(1), "put", "py/greeting", "héllo"), gen);
    assertThat(put.status()).as(put.err()).isZero();
    assertThat(put.out()).isEqualTo("OK\n");
    for (long node = 1; node <= 3; node++) {
      Result get = run(List.of(python, client, "--endpoint", cluster.address(node), "get", "py/greeting"), gen);
      assertThat(get.status()).as(get.err()).isZero();
      assertThat(get.out()).isEqualTo("héllo\n");
    }
    Result missing = run(List.of(python, client, "--endpoint", cluster.address(2), "get", "py/none"), gen);
    assertThat(missing.status()).isEqualTo(1);

    try (KvClient java = cluster.client().build()) {
      assertThat(java.blocking().get(ByteString.copyFromUtf8("py/greeting")).getKv().getValue().toStringUtf8())
          .isEqualTo("héllo");
      List<io.kvstore.proto.v1.KeyValue> kvs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        kvs.add(io.kvstore.proto.v1.KeyValue.newBuilder().setKey(ByteString.copyFromUtf8("py/scan/" + (char) ('a' + i)))
            .setValue(ByteString.copyFromUtf8("v" + i)).build());
      }
      java.blocking().batchPut(kvs);
    }
    Result scan = run(List.of(python, client, "--endpoint", cluster.address(3), "scan", "--prefix", "py/scan/"), gen);
    assertThat(scan.status()).as(scan.err()).isZero();
    assertThat(scan.out().lines().map(l -> l.split("\t")[0]).toList())
        .containsExactly("py/scan/a", "py/scan/b", "py/scan/c", "py/scan/d", "py/scan/e", "py/scan/f",
            "py/scan/g", "py/scan/h", "py/scan/i", "py/scan/j", "py/scan/k", "py/scan/l");
  }
}
