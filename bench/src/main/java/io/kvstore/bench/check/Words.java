package io.kvstore.bench.check;

import java.util.Locale;

/** How operations, values and times read in reports: short, exact and the same everywhere. */
final class Words {
    private Words() {
    }

    /** A time relative to {@code origin}: "12.345 ms" below ten seconds, "83.412 s" above. */
    static String time(long nanos, long origin) {
        return duration(nanos - origin);
    }

    /** A duration: "0.250 ms", "12.345 ms", "83.412 s". */
    static String duration(long nanos) {
        double ms = nanos / 1e6;
        if (Math.abs(ms) >= 10_000) {
            return String.format(Locale.ROOT, "%.3f s", ms / 1000);
        }
        return String.format(Locale.ROOT, "%.3f ms", ms);
    }

    /** A value in quotes, or "nothing (absent)" for {@code null}. Long values are shortened. */
    static String value(String v) {
        if (v == null) {
            return "nothing (absent)";
        }
        String shown = v.length() > 40 ? v.substring(0, 37) + "…" : v;
        return '"' + shown + '"';
    }

    /** "get", "put "v8"", "cas "a"→"b"", "add "e17"", "read" — what was asked. */
    static String request(Operation op) {
        return switch (op.type()) {
            case GET -> "get";
            case PUT -> "put " + value(op.value());
            case CAS -> "cas " + value(op.expected()) + "→" + value(op.value());
            case ADD -> "add " + value(op.value());
            case READ -> "read";
            case ACQUIRE -> "acquire for lease " + op.value();
            case GUARDED_PUT -> "guarded put " + value(op.value()) + " with token " + op.token();
            case RELEASE -> "release of token " + op.token();
        };
    }

    /** What came back: "returned "v7"", "swapped", "did not swap", "ok", "failed", "timed out (unknown)". */
    static String response(Operation op) {
        return switch (op.outcome()) {
            case FAIL -> "failed" + (op.error() == null ? "" : " (" + op.error() + ")");
            case INFO -> "unknown" + (op.error() == null ? "" : " (" + op.error() + ")");
            case OK -> switch (op.type()) {
                case GET -> "returned " + value(op.value());
                case CAS -> op.swapped() ? "swapped" : "did not swap";
                case READ -> "returned " + count(op.elements().size(), "element");
                case ACQUIRE -> "got token " + op.token();
                case GUARDED_PUT -> "acknowledged at version " + op.version();
                default -> "ok";
            };
        };
    }

    /**
     * One operation in one line: "get by client 4, 12.100–12.300 ms, returned "v7"". Indeterminate
     * operations say when they began and that they may take effect any time later.
     */
    static String describe(Operation op, long origin) {
        String who = request(op) + " by client " + op.client();
        if (op.outcome() == Outcome.INFO) {
            return who + ", invoked at " + time(op.invokeNanos(), origin) + ", outcome unknown"
                    + (op.error() == null ? "" : " (" + op.error() + ")") + " — may take effect at any later time";
        }
        return who + ", " + interval(op, origin) + ", " + response(op);
    }

    /** "12.100–12.300 ms" (or seconds). */
    static String interval(Operation op, long origin) {
        String start = time(op.invokeNanos(), origin);
        String end = time(op.completeNanos(), origin);
        String unit = end.substring(end.indexOf(' '));
        if (start.endsWith(unit)) {
            start = start.substring(0, start.length() - unit.length());
        }
        return start + "–" + end;
    }

    /** "1 operation", "3 operations". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
