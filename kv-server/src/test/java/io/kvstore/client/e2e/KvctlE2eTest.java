package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.client.cli.ExitCode;
import io.kvstore.client.cli.Kvctl;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
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

/** Every kvctl command against real nodes: output and exit status. */
class KvctlE2eTest {
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

  record Run(int status, String out, String err, byte[] raw) {}

  static Run kvctlWithStdin(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    var cli = Kvctl.commandLine(
        new ByteArrayInputStream(stdin == null ? new byte[0] : stdin.getBytes(StandardCharsets.UTF_8)), raw);
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> full = new ArrayList<>(List.of("--endpoints", cluster.seeds()));
    full.addAll(List.of(args));
    int status = cli.execute(full.toArray(String[]::new));
    return new Run(status, out.toString(), err.toString(), raw.toByteArray());
  }

  static Run kvctl(String... args) {
    return kvctlWithStdin(null, args);
  }

  @Test
  void putGetDelWithEveryOutputFormat() {
    assertThat(kvctl("put", "e2e/greeting", "hello")).extracting(Run::status, Run::out).containsExactly(0, "OK\n");
    Run get = kvctl("get", "e2e/greeting");
    assertThat(get.status()).isZero();
    assertThat(get.out()).matches("KEY +VALUE +VERSION\ne2e/greeting +hello +\\d+\n");
    assertThat(kvctl("-o", "value", "get", "e2e/greeting").raw()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
    for (String c : new String[] {"linearizable", "lease", "stale"}) {
      // stale may lag a fresh write on a follower: it must still answer, found or not.
      Run r = kvctl("-o", "json", "get", "e2e/greeting", "--consistency", c);
      assertThat(r.status()).as(c).isIn(0, c.equals("stale") ? 1 : 0);
    }
    assertThat(kvctl("-o", "json", "get", "e2e/greeting").out()).matches(
        "\\{\"key\":\"e2e/greeting\",\"value\":\"hello\",\"version\":\\d+,\"create_version\":\\d+,\"found\":true}\n");
    assertThat(kvctl("-o", "json", "put", "e2e/greeting", "again").out()).matches("\\{\"key\":\"e2e/greeting\",\"version\":\\d+}\n");
    assertThat(kvctl("del", "e2e/greeting")).extracting(Run::status, Run::out).containsExactly(0, "1\n");
    Run missing = kvctl("get", "e2e/greeting");
    assertThat(missing.status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(missing.err()).isEqualTo("kvctl: key 'e2e/greeting' not found\n");
    assertThat(kvctl("del", "e2e/greeting").status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
  }

  @Test
  void binaryValuesFromFilesAndStdin(@TempDir Path dir) throws Exception {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    Path file = dir.resolve("blob.bin");
    Files.write(file, binary);
    assertThat(kvctl("put", "e2e/blob", "--file", file.toString()).status()).isZero();
    assertThat(kvctl("-o", "value", "get", "e2e/blob").raw()).isEqualTo(binary);
    assertThat(kvctl("-o", "json", "get", "e2e/blob").out()).contains("\"value_base64\":\"AAECAwQF");
    assertThat(kvctlWithStdin("from stdin\n", "put", "e2e/stdin").status()).isZero();
    assertThat(kvctl("-o", "value", "get", "e2e/stdin").raw()).isEqualTo("from stdin\n".getBytes(StandardCharsets.UTF_8));
    Run missing = kvctl("put", "e2e/x", "--file", dir.resolve("absent").toString());
    assertThat(missing.status()).isEqualTo(ExitCode.USAGE);
    assertThat(missing.err()).isEqualTo("kvctl: cannot read '" + dir.resolve("absent") + "': no such file\n");
  }

  @Test
  void scanMergesAllShardsInKeyOrder() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      keys.add(String.format("e2e/scan/%02d", i));
    }
    for (String k : keys) {
      assertThat(kvctl("put", k, "v" + k.substring(9)).status()).isZero();
    }
    Run all = kvctl("scan", "--prefix", "e2e/scan/");
    assertThat(all.status()).isZero();
    assertThat(all.out().lines().skip(1).map(l -> l.split("\\s+")[0]).toList()).containsExactlyElementsOf(keys);
    assertThat(kvctl("-o", "value", "scan", "--from", "e2e/scan/10", "--to", "e2e/scan/13").out())
        .isEqualTo("v10\nv11\nv12\n");
    assertThat(kvctl("-o", "json", "scan", "--prefix", "e2e/scan/", "--limit", "3").out()).matches(
        "\\{\"count\":3,\"kvs\":\\[\\{\"key\":\"e2e/scan/00\",.*\\{\"key\":\"e2e/scan/02\",[^\\]]*\\]}\n");
  }

  @Test
  void casAndTxn(@TempDir Path dir) throws Exception {
    kvctl("put", "e2e/lock", "free");
    assertThat(kvctl("cas", "e2e/lock", "free", "taken")).extracting(Run::status, Run::out).containsExactly(0, "OK\n");
    Run failed = kvctl("cas", "e2e/lock", "free", "mine");
    assertThat(failed.status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(failed.out()).startsWith("FAILED: current value 'taken' (version ");
    assertThat(kvctl("cas", "--expected-version", "0", "e2e/created", "new").status()).isZero();

    String txn = "version(\"e2e:{7}:name\") = 0\n\nput \"e2e:{7}:name\" \"Ada\"\nput e2e:{7}:mail ada@x\n\n"
        + "get \"e2e:{7}:name\"\n";
    Run first = kvctlWithStdin(txn, "txn");
    assertThat(first).extracting(Run::status, Run::out).containsExactly(0, "SUCCESS\nOK\nOK\n");
    Path file = dir.resolve("txn");
    Files.writeString(file, txn);
    Run second = kvctl("txn", "--file", file.toString());
    assertThat(second).extracting(Run::status, Run::out)
        .containsExactly(ExitCode.NOT_FOUND_OR_COMPARE_FAILED, "FAILURE\ne2e:{7}:name\nAda\n");
    // Keys of different shards cannot share a transaction: the server refuses, kvctl says why.
    Run spans = kvctlWithStdin("value(\"e2e/a\") = \"x\"\n\nput e2e/b y\nput e2e/c y\nput e2e/d y\nput e2e/e y\n", "txn");
    assertThat(spans.status()).isIn(ExitCode.USAGE, ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(spans.err()).doesNotContain("\tat ");
  }

  @Test
  void clusterStatusAndMemberList() {
    Run status = kvctl("cluster", "status");
    assertThat(status.status()).isZero();
    assertThat(status.out()).startsWith("CLUSTER e2e  EPOCH ");
    assertThat(status.out().lines().filter(l -> l.matches("\\d+\\s+127\\.0\\.0\\.1:\\d+\\s+UP\\s.*")).count())
        .isEqualTo(3);
    // Four shards, each with a leader, its term and applied index, and three replicas.
    assertThat(status.out().lines().filter(l -> l.matches("\\d+\\s+[123]\\s+\\d+\\s+\\d+\\s+\\d,\\d,\\d")).count())
        .isEqualTo(4);
    Run json = kvctl("-o", "json", "cluster", "status");
    assertThat(json.out()).startsWith("{\"cluster_id\":\"e2e\",\"epoch\":").contains("\"reachable\":true",
        "\"shards\":[{\"id\":");
    Run members = kvctl("member", "list");
    assertThat(members.status()).isZero();
    assertThat(members.out()).startsWith("ID  ADDRESS").contains(cluster.address(1), cluster.address(2),
        cluster.address(3));
    assertThat(kvctl("-o", "value", "member", "list").out().lines().toList())
        .containsExactlyInAnyOrder(cluster.address(1), cluster.address(2), cluster.address(3));
  }

  @Test
  void errorsAreOneLineWithTheDocumentedStatus() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StringWriter err = new StringWriter();
    var cli = Kvctl.commandLine();
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(new StringWriter()));
    assertThat(cli.execute("--endpoints", "127.0.0.1:" + port, "--timeout", "1s", "get", "k"))
        .isEqualTo(ExitCode.UNREACHABLE);
    assertThat(err.toString()).isEqualTo("kvctl: no node answered at 127.0.0.1:" + port
        + "; is the cluster running? (scripts/cluster start)\n");
    Run tooShort = kvctl("--timeout", "1ms", "put", "e2e/k", "v");
    assertThat(tooShort.status()).isEqualTo(ExitCode.UNREACHABLE);
    assertThat(tooShort.err()).startsWith("kvctl: the cluster did not answer within --timeout 1ms;");
    Run badEndpoint = kvctl("--endpoints", "nope", "get", "k");
    assertThat(badEndpoint.status()).isEqualTo(ExitCode.USAGE);
    Run tooLong = kvctl("put", "k".repeat(5000), "v");
    assertThat(tooLong.status()).isEqualTo(ExitCode.USAGE);
    assertThat(tooLong.err()).startsWith("kvctl: the cluster refused the request: INVALID_ARGUMENT")
        .doesNotContain("\tat ");
  }

  @Test
  void theRealProcessReadsStdinAndExitsWithTheDocumentedStatus() throws Exception {
    Process put = ChildJvm.kvctl(cluster.seeds(), "put", "e2e/process").start();
    put.getOutputStream().write("piped".getBytes(StandardCharsets.UTF_8));
    put.getOutputStream().close();
    assertThat(put.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(put.exitValue()).isZero();
    assertThat(new String(put.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("OK\n");
    Process missing = ChildJvm.kvctl(cluster.seeds(), "get", "e2e/absent").start();
    assertThat(missing.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(missing.exitValue()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(new String(missing.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("kvctl: key 'e2e/absent' not found\n");
  }
}
