package io.kvstore.bench.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a run's folder: everything a person needs to see what happened and what the checker concluded,
 * and everything the checker needs to check it again ({@link CheckMain} re-checks a folder).
 *
 * <pre>
 *   history.jsonl  the operations, one per line (format: {@link History})
 *   faults.jsonl   the fault windows, one per line (format: {@link FaultWindow})
 *   verdict.txt    first line "valid", "invalid" or "unknown"; then the counts; then each finding
 *   report.html    self-contained (no scripts, fonts or network): verdict, counts, an SVG chart of
 *                  latency over time with the faults shaded, and each failing window in words and drawn
 * </pre>
 *
 * Blocks while writing; creates the folder if needed and replaces these four files if present.
 */
public final class ReportWriter {
    private ReportWriter() {
    }

    /** Writes the folder with no extra facts about the run. */
    public static void write(Path dir, String title, History history, List<FaultWindow> faults, CheckResult result)
            throws IOException {
        write(dir, title, Map.of(), history, faults, result);
    }

    /**
     * Writes the folder.
     *
     * @param facts run parameters to show (e.g. "seed" → "42", "faults" → "kill,pause"), in map order
     */
    public static void write(Path dir, String title, Map<String, String> facts, History history,
                             List<FaultWindow> faults, CheckResult result) throws IOException {
        Files.createDirectories(dir);
        history.write(dir.resolve("history.jsonl"));
        FaultWindow.write(dir.resolve("faults.jsonl"), faults);
        Files.writeString(dir.resolve("verdict.txt"), verdictText(result), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.html"), html(title, facts, history, faults, result),
                StandardCharsets.UTF_8);
    }

    /** The contents of {@code verdict.txt}. */
    public static String verdictText(CheckResult result) {
        StringBuilder b = new StringBuilder(result.verdict().word()).append('\n');
        b.append("workload: ").append(result.workload()).append('\n');
        for (String line : result.summaryLines()) {
            if (!line.startsWith("verdict:")) {
                b.append(line).append('\n');
            }
        }
        for (String finding : result.findings()) {
            b.append('\n').append(finding).append('\n');
        }
        return b.toString();
    }

    static String html(String title, Map<String, String> facts, History history, List<FaultWindow> faults,
                       CheckResult result) {
        long origin = history.originNanos();
        Verdict verdict = result.verdict();
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(Html.esc(title + " — " + verdict.word())).append("</title>\n<style>\n").append(CSS)
                .append("</style></head><body>\n");
        h.append("<header><span class=\"badge ").append(verdict.word()).append("\">").append(verdict.word().toUpperCase())
                .append("</span><h1>").append(Html.esc(title)).append("</h1></header>\n");

        List<FailingWindow> windows = result instanceof RegisterCheckResult r ? r.failures() : List.of();
        List<String> findings = result.findings();
        if (!findings.isEmpty()) {
            h.append("<ul class=\"headlines\">\n");
            int shown = 0;
            for (String finding : findings) {
                if (shown++ == 8) {
                    h.append("<li>… ").append(findings.size() - 8).append(" more below</li>\n");
                    break;
                }
                FailingWindow w = windows.stream().filter(x -> x.text().equals(finding)).findFirst().orElse(null);
                String line = w != null ? w.headline() : finding.lines().findFirst().orElse("");
                if (line.length() > 220) {
                    line = line.substring(0, 217) + "…";
                }
                h.append("<li><a href=\"#finding").append(shown).append("\">").append(Html.esc(line))
                        .append("</a></li>\n");
            }
            h.append("</ul>\n");
        }
        h.append("<section class=\"facts\"><table>\n");
        row(h, "workload", result.workload());
        for (String line : result.summaryLines()) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("verdict:")) {
                row(h, line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        row(h, "duration", Words.duration(history.endNanos() - origin));
        row(h, "faults", faults.isEmpty() ? "none" : Words.count(faults.size(), "fault window"));
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            row(h, fact.getKey(), fact.getValue());
        }
        h.append("</table></section>\n");

        h.append("<section><h2>Latency over time</h2>\n");
        h.append("<p class=\"legend\">").append(swatch(LatencyChart.OK_COLOUR)).append("ok ")
                .append(swatch(LatencyChart.FAIL_COLOUR)).append("fail (no effect) ")
                .append(swatch(LatencyChart.INFO_COLOUR)).append("info (unknown: timed out) ")
                .append("&nbsp;● read &nbsp;■ write &nbsp;◯ anomaly &nbsp;")
                .append("<span class=\"sw\" style=\"background:#d32f2f33\"></span>kill ")
                .append("<span class=\"sw\" style=\"background:#7b1fa233\"></span>pause ")
                .append("<span class=\"sw\" style=\"background:#1565c033\"></span>partition</p>\n");
        h.append(LatencyChart.svg(history, faults, result.flaggedOperationIds()));
        h.append("</section>\n");

        h.append("<section><h2>Findings</h2>\n");
        if (findings.isEmpty()) {
            h.append("<p class=\"none\">No anomaly: ").append(verdict == Verdict.VALID
                    ? "the history is consistent." : "nothing was found, but the check was not complete.")
                    .append("</p>\n");
        }
        int n = 0;
        for (String finding : findings) {
            n++;
            h.append("<div class=\"finding\" id=\"finding").append(n).append("\"><pre>").append(Html.esc(finding))
                    .append("</pre>\n");
            for (FailingWindow w : windows) {
                if (w.text().equals(finding)) {
                    h.append(WindowTimeline.svg(w, origin));
                }
            }
            h.append("</div>\n");
        }
        h.append("</section>\n");

        if (!faults.isEmpty()) {
            h.append("<section><h2>Faults</h2><table class=\"list\"><tr><th>fault</th><th>from</th><th>to</th>")
                    .append("<th>lasted</th></tr>\n");
            for (FaultWindow f : faults) {
                h.append("<tr><td>").append(Html.esc(f.name())).append("</td><td>")
                        .append(Html.esc(Words.time(f.startNanos(), origin))).append("</td><td>")
                        .append(Html.esc(Words.time(f.endNanos(), origin))).append("</td><td>")
                        .append(Html.esc(Words.duration(f.endNanos() - f.startNanos()))).append("</td></tr>\n");
            }
            h.append("</table></section>\n");
        }
        h.append("<footer>Files beside this report: history.jsonl (one operation per line), faults.jsonl,")
                .append(" verdict.txt. Times are relative to the first operation.</footer>\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String name, String value) {
        h.append("<tr><th>").append(Html.esc(name)).append("</th><td>").append(Html.esc(value)).append("</td></tr>\n");
    }

    private static String swatch(String colour) {
        return "<span class=\"dot\" style=\"background:" + colour + "\"></span>";
    }

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;
              max-width:1160px;color:#222;background:#fff;padding:0 16px}
            header{display:flex;align-items:center;gap:16px}
            h1{font-size:22px;margin:0}
            h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .badge{font-weight:700;font-size:18px;padding:6px 14px;border-radius:6px;color:#fff;letter-spacing:1px}
            .badge.valid{background:#2e7d32}.badge.invalid{background:#c62828}.badge.unknown{background:#757575}
            .facts table{border-collapse:collapse;margin-top:14px}
            .facts th{text-align:left;font-weight:600;padding:2px 16px 2px 0;color:#555;vertical-align:top}
            .facts td{padding:2px 0}
            .legend{font-size:13px;color:#444;margin:4px 0}
            .dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px 0 10px}
            .sw{display:inline-block;width:16px;height:10px;margin:0 4px 0 10px;border:1px solid #ccc}
            .finding{border-left:4px solid #c62828;background:#fff8f8;padding:8px 12px;margin:12px 0}
            .finding pre{white-space:pre-wrap;font-size:13px;margin:0 0 8px;font-family:ui-monospace,Menlo,Consolas,monospace}
            .none{color:#2e7d32;font-weight:600}
            .headlines{margin:12px 0 0;padding-left:20px;color:#b71c1c;font-size:14px}
            .headlines a{color:#b71c1c}
            table.list{border-collapse:collapse;font-size:13px}
            table.list th,table.list td{border-bottom:1px solid #eee;padding:3px 14px 3px 0;text-align:left}
            footer{margin-top:32px;font-size:12px;color:#777}
            svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
            """;
}
