package io.kvstore.bench.check;

import java.time.Duration;

/**
 * How much work the linearizability search may spend on one key before it answers {@link Verdict#UNKNOWN}.
 * The search is exponential in the worst case (many concurrent or indeterminate operations on one key), so
 * a bound is what keeps a checker run from hanging.
 *
 * @param maxSteps      search steps (one step = one attempt to linearize or undo an operation)
 * @param maxTime       wall-clock time
 * @param maxCacheWords memory for remembered configurations, in 64-bit words (8 bytes each, plus overhead)
 */
public record SearchBudget(long maxSteps, Duration maxTime, long maxCacheWords) {
    public SearchBudget {
        if (maxSteps <= 0 || maxTime.isNegative() || maxTime.isZero() || maxCacheWords <= 0) {
            throw new IllegalArgumentException("budget must be positive: " + maxSteps + ", " + maxTime);
        }
    }

    /**
     * 300 million steps (tens of seconds), 30 seconds and about 256 MB of remembered configurations per
     * key: whichever runs out first.
     */
    public static SearchBudget defaults() {
        return new SearchBudget(300_000_000, Duration.ofSeconds(30), 32L << 20);
    }

    /** The same budget with another step bound. */
    public SearchBudget withMaxSteps(long steps) {
        return new SearchBudget(steps, maxTime, maxCacheWords);
    }

    /** The same budget with another time bound. */
    public SearchBudget withMaxTime(Duration time) {
        return new SearchBudget(maxSteps, time, maxCacheWords);
    }
}
