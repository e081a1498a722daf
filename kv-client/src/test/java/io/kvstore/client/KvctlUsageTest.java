package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.client.cli.ExitCode;
import io.kvstore.client.cli.Kvctl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** kvctl's user errors end in one line and a documented exit status, never a stack trace. */
class KvctlUsageTest {

  record Run(int status, String out, String err) {}

  static Run kvctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Kvctl.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int status = cli.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void endpointsParseAndRejectWithTheExpectedForm() {
    assertThat(Endpoint.parseList("127.0.0.1:7001, localhost:7002"))
        .containsExactly(new Endpoint("127.0.0.1", 7001), new Endpoint("localhost", 7002));
    assertThat(Endpoint.parse("[::1]:7001")).isEqualTo(new Endpoint("::1", 7001));
    assertThatThrownBy(() -> Endpoint.parse("localhost")).hasMessageContaining("expected HOST:PORT");
    assertThatThrownBy(() -> Endpoint.parse("h:99999")).hasMessageContaining("1..65535");
  }

  @Test
  void malformedEndpointsAreAUsageError() {
    Run run = kvctl("--endpoints", "not-an-endpoint", "cluster", "status");
    assertThat(run.status()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("bad endpoint 'not-an-endpoint'").doesNotContain("\tat ");
  }

  @Test
  void unknownOptionIsAUsageError() {
    Run run = kvctl("cluster", "status", "--no-such-flag");
    assertThat(run.status()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("--no-such-flag");
  }

  @Test
  void unreachableClusterExitsThreeWithAHint() throws Exception {
    int freePort;
    try (ServerSocket s = new ServerSocket(0)) {
      freePort = s.getLocalPort();
    }
    Run run = kvctl("--endpoints", "127.0.0.1:" + freePort, "--timeout", "2s", "cluster", "status");
    assertThat(run.status()).isEqualTo(ExitCode.UNREACHABLE);
    assertThat(run.err()).contains("scripts/cluster start");
  }
}
