package io.kvstore.bench.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every measurement once, tiny, on real child-JVM nodes: the runner's own logic end to end. */
class ScalingRunTest {
  @Test
  void aTinyRunOfEveryMeasurementWritesItsReport(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Path out = dir.resolve("report.md");
    PrintStream print = new PrintStream(printed, true, StandardCharsets.UTF_8);
    CommandLine cli = new CommandLine(new ScalingMain(print));
    cli.setErr(new PrintWriter(print, true));
    int code = cli.execute("--shards", "2", "--keys", "100", "--warmup", "0", "--duration", "1", "--in-flight", "8",
            "--idle-shards", "6", "--idle-settle", "0", "--idle-window", "1",
            "--values", "300", "--memory-shards", "2", "--load-in-flight", "16",
            "--kills", "2", "--failover-shards", "2",
            "--heap", "256m", "--node-jvm-flags=-XX:TieredStopAtLevel=1", "--work-dir", dir.resolve("data").toString(), "--out", out.toString());
    String log = printed.toString(StandardCharsets.UTF_8);
    assertThat(code).as(log).isZero();
    assertThat(log).doesNotContain("FAILED");
    String md = Files.readString(out);
    assertThat(md).contains("## Throughput by shard count").contains("| 2 | 2 |");
    assertThat(md).contains("## CPU of idle nodes (3 nodes, 6 shards").contains("ok: 6 shards");
    assertThat(md).contains("## Resident memory with 300 values").contains("Loaded in").doesNotContain("incomplete");
    assertThat(md).contains("## Failover").contains("| 2 |");
    assertThat(log).contains("kill 1/2: node").contains("kill 2/2: node");
    // Every node this run started is gone.
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).count()).isZero();
  }
}
