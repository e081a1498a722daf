package io.kvstore.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.client.FakeClusterAccess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kvctl command against a fake cluster of real gRPC servers: output and exit status. */
class KvctlTest {
  static FakeClusterAccess cluster;

  record Run(int status, String out, String err, byte[] raw) {}

  @BeforeAll
  static void start() {
    cluster = FakeClusterAccess.start(3, 4);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static Run kvctlWithStdin(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    var cli = Kvctl.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    Bytes.stdin = new ByteArrayInputStream(stdin == null ? new byte[0] : stdin.getBytes(StandardCharsets.UTF_8));
    ClientCommand.rawStdout = raw;
    String[] full = new String[args.length + 2];
    full[0] = "--endpoints";
    full[1] = cluster.seeds();
    System.arraycopy(args, 0, full, 2, args.length);
    int status = cli.execute(full);
    return new Run(status, out.toString(), err.toString(), raw.toByteArray());
  }

  static Run kvctl(String... args) {
    return kvctlWithStdin(null, args);
  }

  @Test
  void putGetDel() {
    assertThat(kvctl("put", "greeting", "hello")).satisfies(r -> {
      assertThat(r.status()).isZero();
      assertThat(r.out()).isEqualTo("OK\n");
    });
    Run get = kvctl("get", "greeting");
    assertThat(get.status()).isZero();
    assertThat(get.out()).startsWith("KEY       VALUE  VERSION\ngreeting  hello  ");
    assertThat(kvctl("-o", "value", "get", "greeting").raw()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
    assertThat(kvctl("-o", "json", "get", "greeting", "--consistency", "stale").out())
        .matches("\\{\"key\":\"greeting\",\"value\":\"hello\",\"version\":\\d+,\"create_version\":\\d+,"
            + "\"found\":true}\n");
    Run del = kvctl("del", "greeting");
    assertThat(del.status()).isZero();
    assertThat(del.out()).isEqualTo("1\n");
    Run missing = kvctl("get", "greeting");
    assertThat(missing.status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(missing.err()).isEqualTo("kvctl: key 'greeting' not found\n");
    assertThat(kvctl("-o", "json", "get", "greeting").out()).isEqualTo("{\"key\":\"greeting\",\"found\":false}\n");
    assertThat(kvctl("del", "greeting").status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
  }

  @Test
  void valuesFromStdinAndFilesAreBinarySafe(@TempDir Path dir) throws Exception {
    byte[] binary = {0, 1, (byte) 0xFF, '\n', 'x'};
    Path file = dir.resolve("blob");
    Files.write(file, binary);
    assertThat(kvctl("put", "blob", "--file", file.toString()).status()).isZero();
    assertThat(kvctl("-o", "value", "get", "blob").raw()).isEqualTo(binary);
    assertThat(kvctl("-o", "json", "get", "blob").out()).contains("\"value_base64\":\"AAH/Cng=\"");
    assertThat(kvctl("get", "blob").out()).contains("\\x00\\x01\\xff\\x0ax");

    assertThat(kvctlWithStdin("piped value", "put", "piped", "-").status()).isZero();
    assertThat(kvctl("-o", "value", "get", "piped").raw()).isEqualTo("piped value".getBytes(StandardCharsets.UTF_8));

    Run missing = kvctl("put", "k", "--file", dir.resolve("nope").toString());
    assertThat(missing.status()).isEqualTo(ExitCode.USAGE);
    assertThat(missing.err()).isEqualTo("kvctl: cannot read '" + dir.resolve("nope") + "': no such file\n");
  }

  @Test
  void scanByPrefixAndRange() {
    for (String k : new String[] {"s/a", "s/b", "s/c", "s/d", "t/a"}) {
      kvctl("put", k, "v-" + k);
    }
    Run prefix = kvctl("scan", "--prefix", "s/");
    assertThat(prefix.status()).isZero();
    assertThat(prefix.out().lines().map(l -> l.split("\\s+")[0]).toList())
        .containsExactly("KEY", "s/a", "s/b", "s/c", "s/d");
    assertThat(kvctl("-o", "value", "scan", "--from", "s/b", "--to", "s/d").out()).isEqualTo("v-s/b\nv-s/c\n");
    assertThat(kvctl("-o", "json", "scan", "--prefix", "s/", "--limit", "2").out())
        .matches("\\{\"count\":2,\"kvs\":\\[\\{\"key\":\"s/a\",\"value\":\"v-s/a\".*\\{\"key\":\"s/b\".*\\]\\}\n");
    Run both = kvctl("scan", "--prefix", "s/", "--from", "a");
    assertThat(both.status()).isEqualTo(ExitCode.USAGE);
    assertThat(both.err()).contains("not both");
  }

  @Test
  void casSucceedsOrExitsOne() {
    kvctl("put", "lock", "free");
    Run ok = kvctl("cas", "lock", "free", "taken");
    assertThat(ok.status()).isZero();
    assertThat(ok.out()).isEqualTo("OK\n");
    Run failed = kvctl("cas", "lock", "free", "mine");
    assertThat(failed.status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(failed.out()).startsWith("FAILED: current value 'taken'");
    assertThat(kvctl("cas", "--expected-version", "0", "fresh", "new").status()).isZero();
    assertThat(kvctl("-o", "json", "cas", "--expected-version", "0", "fresh", "again").out())
        .startsWith("{\"key\":\"fresh\",\"succeeded\":false");
    assertThat(kvctl("cas", "lock", "only-one").status()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void txnReadsCompareThenElseFromStdin(@TempDir Path dir) throws Exception {
    String txn = "# create if absent, else read\n"
        + "version(\"user:{42}:name\") = 0\n"
        + "\n"
        + "put \"user:{42}:name\" \"Ada L\"\n"
        + "put user:{42}:email ada@example.com\n"
        + "\n"
        + "get \"user:{42}:name\"\n";
    Run first = kvctlWithStdin(txn, "txn");
    assertThat(first.status()).isZero();
    assertThat(first.out()).isEqualTo("SUCCESS\nOK\nOK\n");
    Path file = dir.resolve("txn.txt");
    Files.writeString(file, txn);
    Run second = kvctl("txn", "--file", file.toString());
    assertThat(second.status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(second.out()).isEqualTo("FAILURE\nuser:{42}:name\nAda L\n");
    assertThat(kvctlWithStdin(txn, "-o", "json", "txn").out())
        .matches("\\{\"succeeded\":false,\"version\":\\d+,\"results\":\\[\\{\"key\":\"user:\\{42\\}:name\","
            + "\"value\":\"Ada L\".*\"op\":\"get\",\"found\":true\\}\\]\\}\n");
    Run bad = kvctlWithStdin("valu(\"k\") = 1\n", "txn");
    assertThat(bad.status()).isEqualTo(ExitCode.USAGE);
    assertThat(bad.err()).startsWith("kvctl: txn line 1: a compare starts with value(\"KEY\")");
    assertThat(kvctl("txn", "--help").out()).contains("value(KEY) OP VALUE", "get KEY | put KEY VALUE | del KEY");
  }

  @Test
  void clusterStatusAndMemberList() {
    Run status = kvctl("cluster", "status");
    assertThat(status.status()).isZero();
    assertThat(status.out()).startsWith("CLUSTER fake  EPOCH 1\n")
        .contains("ID  ADDRESS", "SHARD  LEADER  TERM  APPLIED  REPLICAS");
    assertThat(status.out().lines().filter(l -> l.contains(" UP ")).count()).isEqualTo(3);
    assertThat(status.out().lines().filter(l -> l.matches("\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d,]+")).count())
        .isEqualTo(4);
    assertThat(kvctl("-o", "json", "cluster", "status").out())
        .startsWith("{\"cluster_id\":\"fake\",\"epoch\":1,\"nodes\":[{\"id\":1,\"address\":")
        .contains("\"shards\":[{\"id\":1,\"leader\":");
    Run members = kvctl("member", "list");
    assertThat(members.status()).isZero();
    assertThat(members.out().lines().count()).isEqualTo(4);
    assertThat(members.out().lines().findFirst().orElseThrow())
        .matches("ID\\s+ADDRESS\\s+WEIGHT\\s+STATE\\s+REPLICAS\\s+LEADERS\\s+METRICS\\s*");
    assertThat(kvctl("-o", "json", "member", "list").out()).startsWith("{\"epoch\":1,"
        + "\"members\":[{\"id\":1,").contains("\"replicas\":");
  }

  @Test
  void memberAddAndRemove() {
    try {
      memberAddAndRemoveSteps();
    } finally {
      cluster.resetMap();
    }
  }

  private void memberAddAndRemoveSteps() {
    Run added = kvctl("member", "add", "9", "127.0.0.1:1", "--weight", "2");
    assertThat(added.status()).as(added.err()).isZero();
    assertThat(added.out()).matches("node 9 added at 127\\.0\\.0\\.1:1 \\(map epoch \\d+\\)\n");
    Run again = kvctl("member", "add", "9", "127.0.0.1:1");
    assertThat(again.status()).isNotZero();
    assertThat(again.err()).contains("node id 9 is already a member");
    assertThat(kvctl("member", "list").out()).containsPattern("9\\s+127\\.0\\.0\\.1:1\\s+2\\s+UP");
    Run removed = kvctl("member", "remove", "9");
    assertThat(removed.status()).as(removed.err()).isZero();
    assertThat(removed.out()).startsWith("node 9 is leaving");
    assertThat(kvctl("member", "list").out()).containsPattern("9\\s+127\\.0\\.0\\.1:1\\s+2\\s+LEAVING");
    assertThat(kvctl("member", "remove", "77").err()).contains("node 77 is not a member");
    assertThat(kvctl("member", "add", "0", "127.0.0.1:1").status()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void clusterStatusShowsADownNodeAndStillAnswers() {
    cluster.down(2);
    try {
      Run status = kvctl("--timeout", "2s", "cluster", "status");
      assertThat(status.status()).isZero();
      assertThat(status.out().lines().filter(l -> l.matches("2\\s+127\\.0\\.0\\.1:\\d+\\s+UNREACHABLE.*")))
          .hasSize(1);
      assertThat(status.out().lines().filter(l -> l.contains(" UP ")).count()).isEqualTo(2);
      // The map still comes from the nodes that answer.
      assertThat(kvctl("--timeout", "2s", "member", "list").status()).isZero();
    } finally {
      cluster.up(2);
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd : new String[][] {{"--help"}, {"put", "--help"}, {"get", "--help"}, {"del", "--help"},
        {"scan", "--help"}, {"cas", "--help"}, {"txn", "--help"}, {"cluster", "status", "--help"},
        {"member", "list", "--help"}, {"cluster", "--help"}}) {
      Run r = kvctl(cmd);
      assertThat(r.status()).as(String.join(" ", cmd)).isZero();
      assertThat(r.out()).as(String.join(" ", cmd)).startsWith("Usage: kvctl");
    }
  }

  @Test
  void userErrorsAreOneLineWithTheDocumentedStatus() {
    Run tooShort = kvctl("--timeout", "1ms", "get", "x");
    assertThat(tooShort.status()).isEqualTo(ExitCode.UNREACHABLE);
    assertThat(tooShort.err()).isEqualTo("kvctl: the cluster did not answer within --timeout 1ms; try a longer"
        + " --timeout, or check the nodes with 'kvctl cluster status'\n");
    Run zero = kvctl("--timeout", "0s", "get", "x");
    assertThat(zero.status()).isEqualTo(ExitCode.USAGE);
    assertThat(zero.err()).contains("more than 0");
    Run badConsistency = kvctl("get", "x", "--consistency", "eventual");
    assertThat(badConsistency.status()).isEqualTo(ExitCode.USAGE);
    assertThat(badConsistency.err()).isEqualTo("kvctl: bad --consistency 'eventual': use linearizable, lease or stale\n");
    Run badLb = kvctl("--lb", "fastest", "get", "x");
    assertThat(badLb.status()).isEqualTo(ExitCode.USAGE);
    Run missingArg = kvctl("get");
    assertThat(missingArg.status()).isEqualTo(ExitCode.USAGE);
    assertThat(missingArg.err()).contains("Missing required parameter: 'KEY'", "kvctl get --help");
  }
}
