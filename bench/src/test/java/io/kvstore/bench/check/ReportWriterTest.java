package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir
    Path dir;

    private static History exampleHistory;
    private static List<FaultWindow> exampleFaults;
    private static RegisterCheckResult exampleResult;

    /** A broken register run with faults, generated and checked once per test class. */
    static synchronized RegisterCheckResult writeExample(Path out) throws IOException {
        if (exampleHistory == null) {
            History valid = RandomHistories.valid(7, new RandomHistories.Shape(10, 20, 4000, 0.03, 0.02, 0.25, 3.0));
            exampleHistory = RandomHistories.staleRead(valid, new SplittableRandom(3)).orElseThrow().history();
            long origin = exampleHistory.originNanos();
            long span = exampleHistory.endNanos() - origin;
            exampleFaults = List.of(
                    new FaultWindow("kill -9 n2 (leader)", origin + span / 10, origin + span / 10 + span / 12),
                    new FaultWindow("pause n4", origin + span / 3, origin + span / 3 + span / 20),
                    new FaultWindow("partition {n1,n2} | {n3,n4,n5}", origin + span / 2, origin + span / 2 + span / 6),
                    new FaultWindow("partition isolate leader n3", origin + span / 2 + span / 20,
                            origin + span * 3 / 4));
            exampleResult = new LinearizabilityChecker().check(exampleHistory);
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("seed", "7");
        facts.put("clients", "10");
        ReportWriter.write(out, "register example (generated, one stale read injected)", facts, exampleHistory,
                exampleFaults, exampleResult);
        return exampleResult;
    }

    @Test
    void writesTheFourFilesAndTheyReadBack() throws IOException {
        RegisterCheckResult result = writeExample(dir);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(History.read(dir.resolve("history.jsonl")).operations())
                .isEqualTo(History.read(dir.resolve("history.jsonl")).operations())
                .hasSize(4000);
        assertThat(FaultWindow.read(dir.resolve("faults.jsonl"))).hasSize(4);
        List<String> verdict = Files.readAllLines(dir.resolve("verdict.txt"));
        assertThat(verdict.get(0)).isEqualTo("invalid");
        assertThat(verdict).contains("workload: register").anyMatch(l -> l.startsWith("operations: 4000 ("));
        assertThat(String.join("\n", verdict)).contains(result.failures().get(0).text());
    }

    @Test
    void reportIsSelfContainedAndShowsChartFaultsAndFindings() throws IOException {
        RegisterCheckResult result = writeExample(dir);
        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg", "INVALID", "kill -9 n2 (leader)",
                "partition {n1,n2} | {n3,n4,n5}", "Latency over time", "class=\"timeline\"");
        assertThat(html).contains(Html.esc(result.failures().get(0).culprit().value()));
        // Nothing is fetched: no scripts, stylesheets, images or fonts from anywhere.
        assertThat(html).doesNotContain("<script", "<link", "<img", "@import", "url(http", "src=");
        assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http://", "https://");
        // One mark per operation (circle for reads, rect for writes), plus the ring on the culprit.
        long marks = html.lines().filter(l -> l.startsWith("<circle") || l.startsWith("<rect x=")).count();
        assertThat(marks).isGreaterThanOrEqualTo(4000);
    }

    @Test
    void validSetRunReportsNoAnomaly() throws IOException {
        List<Operation> ops = List.of(
                Operation.add(0, 1, "s", "a", Outcome.OK, 0, 1_000_000),
                Operation.add(1, 2, "s", "b", Outcome.INFO, 0, 5_000_000),
                Operation.read(2, 1, "s", List.of("a"), Outcome.OK, 10_000_000, 11_000_000));
        History history = History.of(ops);
        SetCheckResult result = new SetChecker().check(history);
        ReportWriter.write(dir, "set", history, List.of(), result);
        assertThat(Files.readAllLines(dir.resolve("verdict.txt")).get(0)).isEqualTo("valid");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("VALID", "No anomaly");
    }

    @Test
    void setRunWithLostElementsShowsThemAndRingsTheirAdds() throws IOException {
        java.util.ArrayList<Operation> ops = new java.util.ArrayList<>();
        java.util.ArrayList<String> read = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long t = i * 1_000_000L;
            Outcome outcome = i % 17 == 0 ? Outcome.INFO : Outcome.OK;
            ops.add(Operation.add(i, i % 5, "set", "e" + i, outcome, t, t + 2_000_000 + (i % 7) * 300_000L));
            if (i != 120 && i != 121) {
                read.add("e" + i);
            }
        }
        ops.add(Operation.read(300, 0, "set", read, Outcome.OK, 400_000_000, 405_000_000));
        History history = History.of(ops);
        SetCheckResult result = new SetChecker().check(history);
        Path out = Path.of("target", "check-report-example-set");
        ReportWriter.write(out, "set example (two acknowledged adds dropped)", history,
                List.of(new FaultWindow("kill -9 n1", 110_000_000, 130_000_000)), result);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.flaggedOperationIds()).containsExactly(120L, 121L);
        assertThat(Files.readString(out.resolve("report.html"))).contains("lost writes: &quot;e120&quot;");
    }

    @Test
    void emptyHistoryStillGetsAReport() throws IOException {
        History empty = History.of(List.of());
        ReportWriter.write(dir, "nothing happened", empty, List.of(new FaultWindow("pause n1", 5, 10)),
                new LinearizabilityChecker().check(empty));
        assertThat(Files.readAllLines(dir.resolve("verdict.txt")).get(0)).isEqualTo("valid");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg", "pause n1");
    }

    /** Leaves the example where a person (or a headless browser) can open it. */
    @Test
    void writesExampleIntoTarget() throws IOException {
        Path out = Path.of("target", "check-report-example");
        writeExample(out);
        System.out.println("example report: " + out.resolve("report.html").toAbsolutePath());
        assertThat(out.resolve("report.html")).exists();
    }
}
