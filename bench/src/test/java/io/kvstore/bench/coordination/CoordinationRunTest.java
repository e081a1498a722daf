package io.kvstore.bench.coordination;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every coordination benchmark once, tiny (1 s each), on real child-JVM nodes: the runner end to end and
 * the report's shape — every table present, its rows complete, operations counted. Not the speed.
 */
class CoordinationRunTest {
  @Test
  void aTinyRunOfEveryBenchmarkWritesAWellFormedReport(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Path out = dir.resolve("report.md");
    PrintStream print = new PrintStream(printed, true, StandardCharsets.UTF_8);
    CommandLine cli = new CommandLine(new CoordinationMain(print));
    cli.setErr(new PrintWriter(print, true));
    int code = cli.execute("--prewarm", "0", "--warmup", "0", "--duration", "1", "--in-flight", "4", "--waiters", "4", "--writers", "2",
        "--keys", "50", "--threads", "2", "--shards", "2", "--heap", "256m",
        "--node-jvm-flags=-XX:TieredStopAtLevel=1", "--work-dir", dir.resolve("data").toString(),
        "--out", out.toString());
    String log = printed.toString(StandardCharsets.UTF_8);
    assertThat(code).as(log).isZero();
    assertThat(log).doesNotContain("FAILED");
    String md = Files.readString(out);
    assertThat(md).contains("## Uncontended acquire+release", "## Contended hand-off", "## Watch delivery",
        "## Near-cache reads").containsPattern("Target ≥ 5,000 pairs/s: (met|missed)")
        .containsPattern("Target p99 < 20 ms: (met|missed)");
    // Each table row: the right number of cells, every figure a number, and work was done.
    assertThat(rows(md, "\\| (acquire\\+release|put\\+put) \\| 4 \\|")).hasSize(2)
        .allSatisfy(r -> assertThat(r).matches("\\| [a-z+]+ \\| 4 \\| [1-9]\\d* \\| \\d+ \\|( [\\d.]+ \\|){3} 0 \\|"));
    assertThat(rows(md, "\\| 4 \\|")).as("hand-off with 4 waiters").singleElement()
        .satisfies(r -> assertThat(count(r)).as(r).isPositive());
    assertThat(rows(md, "\\| (leader|follower) \\|")).hasSize(2)
        .allSatisfy(r -> assertThat(r.split("\\|", -1)).hasSize(11))
        .allSatisfy(r -> assertThat(r).matches("\\| \\w+ \\| 2 \\| [1-9]\\d* \\|( [\\d.]+ \\|){3} \\d+ \\| 0 \\| 0 \\|"));
    assertThat(rows(md, "\\| (near-cache|cluster)")).hasSize(3)
        .allSatisfy(r -> assertThat(r).matches("\\| [^|]+ \\| [1-9]\\d* \\| \\d+ \\|( [\\d.]+ \\|){3} [^|]+ \\| 0 \\|"));
    assertThat(rows(md, "\\| near-cache").get(0)).containsPattern("\\| \\d+\\.\\d% \\|");
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).count()).isZero();
  }

  private static List<String> rows(String md, String start) {
    return md.lines().filter(l -> l.matches(start + ".*")).toList();
  }

  /** The second cell: pairs or hand-offs. */
  private static long count(String row) {
    Matcher m = Pattern.compile("\\| \\d+ \\| (\\d+) \\|").matcher(row);
    assertThat(m.find()).as(row).isTrue();
    return Long.parseLong(m.group(1));
  }
}
