package io.kvstore.bench.check;

/** The result of checking a history, or one key of it. */
public enum Verdict {
    /** A valid order was found (register) / every acknowledged element is present and nothing else (set). */
    VALID,
    /** Proven impossible: no valid order exists, or acknowledged data is missing. */
    INVALID,
    /** The search ran out of its step, time or memory budget before deciding, or data needed is missing. */
    UNKNOWN;

    /** Invalid beats unknown beats valid: the verdict of a history given the verdicts of its parts. */
    public Verdict and(Verdict other) {
        return rank(this) >= rank(other) ? this : other;
    }

    private static int rank(Verdict v) {
        return switch (v) {
            case VALID -> 0;
            case UNKNOWN -> 1;
            case INVALID -> 2;
        };
    }

    /** Lower-case name as written in {@code verdict.txt}. */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
