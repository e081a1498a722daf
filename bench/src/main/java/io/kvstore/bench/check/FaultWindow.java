package io.kvstore.bench.check;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A period during which a fault was active, on the same monotonic clock as the history, shown shaded in
 * the report. Written to {@code faults.jsonl} as {@code {"name":"pause n2","start_ns":..,"end_ns":..}}.
 *
 * @param name       what was done, e.g. "kill -9 n3", "partition {n1,n2} | {n3,n4,n5}"
 * @param startNanos when the fault began
 * @param endNanos   when it was healed; {@code >= startNanos}
 */
public record FaultWindow(String name, long startNanos, long endNanos) {
    public FaultWindow {
        Objects.requireNonNull(name, "name");
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("fault '" + name + "' ends before it starts");
        }
    }

    /** One fault as one JSON line, without the newline. */
    public String toJsonLine() {
        StringBuilder b = new StringBuilder("{\"name\":");
        Json.appendString(b, name);
        return b.append(",\"start_ns\":").append(startNanos).append(",\"end_ns\":").append(endNanos).append('}')
                .toString();
    }

    /** Parses a line written by {@link #toJsonLine}. */
    public static FaultWindow fromJsonLine(String line) {
        Map<String, Object> m = Json.parseObject(line);
        if (!(m.get("name") instanceof String name) || !(m.get("start_ns") instanceof Long start)
                || !(m.get("end_ns") instanceof Long end)) {
            throw new IllegalArgumentException("a fault needs \"name\", \"start_ns\" and \"end_ns\"");
        }
        return new FaultWindow(name, start, end);
    }

    /** Writes faults as JSON lines. */
    public static void write(Path file, List<FaultWindow> faults) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (FaultWindow f : faults) {
                out.write(f.toJsonLine());
                out.write('\n');
            }
        }
    }

    /** Reads faults written by {@link #write}; blank lines and {@code #} comments are skipped. */
    public static List<FaultWindow> read(Path file) throws IOException {
        List<FaultWindow> faults = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            try {
                faults.add(fromJsonLine(t));
            } catch (RuntimeException e) {
                throw new IOException(file + ":" + lineNo + ": " + e.getMessage(), e);
            }
        }
        return faults;
    }
}
