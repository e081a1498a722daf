package io.kvstore.bench.check;

import java.util.List;

/**
 * The smallest stretch of one key's history found to be impossible on its own, and why, in words.
 *
 * <p>"Smallest" means: {@link #culprit()} is the first operation whose result cannot be explained (every
 * history that ends before it completes is linearizable), and {@link #startNanos()} is the latest start
 * from which the operations up to the culprit still cannot be ordered, even when the key may hold any
 * value at that start (unless {@link #fromStart()}). Operations that straddle the start and may have
 * written are kept as "may have taken effect"; indeterminate operations are always kept.
 *
 * @param key        the key
 * @param culprit    the first operation with an impossible result
 * @param operations the operations of the window, ordered by invocation
 * @param startNanos the window's start
 * @param endNanos   the culprit's completion
 * @param fromStart  true when the failure needs the whole history up to the culprit (the key's initial
 *                   absent value matters, e.g. a read of a value nobody wrote)
 * @param text       a paragraph a person can read: the culprit, why it is impossible, and the operations
 * @param context    operations outside the window that the explanation names (e.g. the earlier writes of a
 *                   stale value), for drawing; not needed for the failure
 */
public record FailingWindow(String key, Operation culprit, List<Operation> operations, long startNanos,
                            long endNanos, boolean fromStart, String text, List<Operation> context) {
    public FailingWindow {
        operations = List.copyOf(operations);
        context = List.copyOf(context);
    }

    /** The first line of {@link #text()}'s reason: one sentence for a summary. */
    public String headline() {
        return "Key " + Words.value(key) + ": " + Words.request(culprit) + " by client " + culprit.client()
                + " " + Words.response(culprit) + " — impossible";
    }
}
