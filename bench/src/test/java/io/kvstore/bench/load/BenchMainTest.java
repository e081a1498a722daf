package io.kvstore.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line end to end against an in-test gRPC server: options, progress and the three files. */
class BenchMainTest {
  @TempDir Path out;

  @Test
  void runsEveryWorkloadAndInFlightCombinationAndWritesTheReports() throws Exception {
    try (FakeKvServer server = new FakeKvServer(0)) {
      ByteArrayOutputStream console = new ByteArrayOutputStream();
      int code = new CommandLine(new BenchMain(new PrintStream(console, true, StandardCharsets.UTF_8)))
          .execute("--client", "grpc", "--endpoints", server.endpoint().toString(), "-w", "A,W",
              "--in-flight", "4,8", "--prewarm", "1", "--warmup", "0", "--duration", "1", "--keys", "50",
              "--value-size", "32",
              "--out", out.toString());
      String printed = console.toString(StandardCharsets.UTF_8);
      assertThat(code).as(printed).isZero();
      assertThat(printed).contains("kvstore  pre-warm: workload A, 8 in flight, 1 s", "kvstore  A if=4",
          "kvstore  W if=8", "done:", "results.md");
      // A reads, so the keys were loaded once before it.
      assertThat(server.keyCount()).isEqualTo(50);

      String md = Files.readString(out.resolve("results.md"));
      assertThat(md).contains("| kvstore | A | 4 |", "| kvstore | A | 8 |", "| kvstore | W | 4 |",
          "| kvstore | W | 8 |", "values: 32 bytes", "command: bench --client grpc");
      List<String> csv = Files.readAllLines(out.resolve("results.csv"));
      assertThat(csv).hasSize(1 + 4);
      var factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      assertThat(factory.newDocumentBuilder().parse(out.resolve("chart.svg").toFile())
          .getDocumentElement().getLocalName()).isEqualTo("svg");
    }
  }

  @Test
  void anUnreachableStoreFailsBeforeAnythingIsTimed() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new BenchMain(new PrintStream(new ByteArrayOutputStream())));
    cli.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    // Port 1 on loopback: nothing listens there.
    int code = cli.execute("--client", "grpc", "--endpoints", "127.0.0.1:1", "--deadline", "2",
        "--out", out.toString());
    assertThat(code).isNotZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot read from kvstore");
    assertThat(out.resolve("results.md")).doesNotExist();
  }

  @Test
  void badOptionsAreRefusedWithTheChoices() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new BenchMain(new PrintStream(new ByteArrayOutputStream())));
    cli.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    assertThat(cli.execute("--compare", "redis", "--out", out.toString())).isNotZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--compare takes etcd");
  }
}
