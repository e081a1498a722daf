package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckMainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return CheckMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void validRegisterHistoryExitsZeroAndWritesTheReport() throws IOException {
        Hist.on("k").put(1, "a", 0, 1).get(2, "a", 2, 3).history().write(dir.resolve("history.jsonl"));
        assertThat(run(dir.toString())).isZero();
        assertThat(Files.readAllLines(dir.resolve("verdict.txt")).get(0)).isEqualTo("valid");
        assertThat(dir.resolve("report.html")).exists();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("verdict: valid");
    }

    @Test
    void invalidHistoryExitsOneAndPrintsTheWindow() throws IOException {
        Path history = dir.resolve("h.jsonl");
        Hist.on("k").put(1, "a", 0, 1).put(1, "b", 2, 3).get(2, "a", 4, 5).history().write(history);
        FaultWindow.write(dir.resolve("f.jsonl"), List.of(new FaultWindow("pause n1", 0, 2_000_000)));
        Path report = dir.resolve("report");
        assertThat(run("--history", history.toString(), "--faults", dir.resolve("f.jsonl").toString(),
                "--out", report.toString())).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("is not linearizable", "had been overwritten");
        assertThat(FaultWindow.read(report.resolve("faults.jsonl"))).hasSize(1);
    }

    @Test
    void setHistoryIsDetectedAndUnknownExitsTwo() throws IOException {
        History.of(List.of(Operation.add(0, 1, "s", "a", Outcome.OK, 0, 1))).write(dir.resolve("history.jsonl"));
        assertThat(run(dir.toString())).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("no read of it succeeded");
    }

    @Test
    void badInputAndUsageHaveTheirOwnExitCodes() throws IOException {
        Files.writeString(dir.resolve("history.jsonl"), "{\"id\":1,\"type\":\"put\"\n");
        assertThat(run(dir.toString())).isEqualTo(66);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("history.jsonl:1");
        assertThat(run()).isEqualTo(64);
        assertThat(run(dir.toString(), "--workload", "queue")).isIn(64, 66);
    }
}
