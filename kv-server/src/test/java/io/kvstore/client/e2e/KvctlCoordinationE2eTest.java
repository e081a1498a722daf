package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.client.cli.ExitCode;
import io.kvstore.client.cli.Kvctl;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kvctl lease, lock and watch against real nodes: output and exit status. */
class KvctlCoordinationE2eTest {
  @TempDir static Path clusterDir;
  @TempDir Path work;
  static RealCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = new RealCluster(clusterDir, 3, 4, new int[] {1, 1, 1});
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  record Run(int status, String out, String err) {}

  /** Runs kvctl in this JVM (its own command line object, so runs may overlap). */
  static Run kvctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Kvctl.commandLine(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> full = new ArrayList<>(List.of("--endpoints", cluster.seeds()));
    full.addAll(List.of(args));
    int status = cli.execute(full.toArray(String[]::new));
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void leaseGrantPutKeepaliveListRevoke() {
    Run grant = kvctl("lease", "grant", "6s", "--key", "{kl}");
    assertThat(grant.status()).as(grant.err()).isZero();
    String id = grant.out().trim();
    assertThat(id).matches("\\d+");
    assertThat(kvctl("put", "{kl}:a", "1", "--lease", id).status()).isZero();
    Run ka = kvctl("lease", "keepalive", id, "--count", "2");
    assertThat(ka.status()).as(ka.err()).isZero();
    assertThat(ka.out()).isEqualTo(("lease " + id + " kept alive, TTL 6000 ms\n").repeat(2));
    assertThat(kvctl("-o", "value", "lease", "list").out()).contains(id + "\n");
    assertThat(kvctl("lease", "revoke", id).out()).isEqualTo("revoked lease " + id + " (1 keys deleted)\n");
    assertThat(kvctl("get", "{kl}:a").status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    Run again = kvctl("lease", "revoke", id);
    assertThat(again.status()).isEqualTo(ExitCode.NOT_FOUND_OR_COMPARE_FAILED);
    assertThat(again.err()).contains("unknown");
    assertThat(kvctl("lease", "grant", "0s", "--key", "k").status()).isEqualTo(ExitCode.USAGE);
    assertThat(kvctl("lease", "grant", "2h", "--key", "k").status()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void lockRunsTheCommandWithTheFencingTokenAndPassesItsStatus() throws Exception {
    Path file = work.resolve("token");
    Run ran = kvctl("lock", "{kk}", "--ttl", "5s", "--", "sh", "-c",
        "echo \"$KVSTORE_LOCK_NAME $KVSTORE_LOCK_TOKEN\" > " + file);
    assertThat(ran.status()).as(ran.err()).isZero();
    String first = Files.readString(file).trim();
    assertThat(first).matches("\\{kk} \\d+");
    kvctl("lock", "{kk}", "--", "sh", "-c", "echo \"$KVSTORE_LOCK_NAME $KVSTORE_LOCK_TOKEN\" > " + file);
    long token1 = Long.parseLong(first.split(" ")[1]);
    long token2 = Long.parseLong(Files.readString(file).trim().split(" ")[1]);
    assertThat(token2).as("a new holder gets a larger token").isGreaterThan(token1);
    assertThat(kvctl("lock", "{kk}", "--", "sh", "-c", "exit 7").status()).isEqualTo(7);
    assertThat(kvctl("-o", "value", "lease", "list").out()).as("leases revoked after each run").isEmpty();
  }

  @Test
  void watchPrintsChangesInOrderFromAVersion() throws Exception {
    Run put = kvctl("-o", "json", "put", "{kw}:a", "1");
    String version = put.out().replaceAll(".*\"version\":(\\d+).*\\s*", "$1");
    CompletableFuture<Run> watch = CompletableFuture.supplyAsync(() ->
        kvctl("watch", "--prefix", "{kw}:", "--from", version, "--count", "3"));
    kvctl("put", "{kw}:b", "2");
    kvctl("del", "{kw}:a");
    Run w = watch.get(30, TimeUnit.SECONDS);
    assertThat(w.status()).as(w.err()).isZero();
    assertThat(w.out()).matches("PUT \\{kw}:a 1 " + version + "\nPUT \\{kw}:b 2 \\d+\nDELETE \\{kw}:a \\d+\n");
    assertThat(kvctl("watch", "--prefix", "", "--count", "1").status()).isEqualTo(ExitCode.USAGE);
  }
}
