package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.List;

/** Hand-written histories in test code: times in milliseconds, ids assigned in order. */
final class Hist {
    static final long MS = 1_000_000L;
    /** Where an indeterminate operation's client gave up, when the test does not care. */
    private static final long GAVE_UP_AFTER = 1_000 * MS;

    private final List<Operation> ops = new ArrayList<>();
    private final String key;

    private Hist(String key) {
        this.key = key;
    }

    static Hist on(String key) {
        return new Hist(key);
    }

    Hist put(int client, String value, double invokeMs, double completeMs) {
        ops.add(Operation.put(ops.size(), client, key, value, Outcome.OK, ns(invokeMs), ns(completeMs)));
        return this;
    }

    Hist putFailed(int client, String value, double invokeMs, double completeMs) {
        ops.add(Operation.put(ops.size(), client, key, value, Outcome.FAIL, ns(invokeMs), ns(completeMs)));
        return this;
    }

    Hist putInfo(int client, String value, double invokeMs) {
        ops.add(Operation.put(ops.size(), client, key, value, Outcome.INFO, ns(invokeMs),
                ns(invokeMs) + GAVE_UP_AFTER));
        return this;
    }

    Hist get(int client, String returned, double invokeMs, double completeMs) {
        ops.add(Operation.get(ops.size(), client, key, returned, Outcome.OK, ns(invokeMs), ns(completeMs)));
        return this;
    }

    Hist getInfo(int client, double invokeMs) {
        ops.add(Operation.get(ops.size(), client, key, null, Outcome.INFO, ns(invokeMs),
                ns(invokeMs) + GAVE_UP_AFTER));
        return this;
    }

    Hist cas(int client, String expected, String value, boolean swapped, double invokeMs, double completeMs) {
        ops.add(Operation.cas(ops.size(), client, key, expected, value, swapped, Outcome.OK, ns(invokeMs),
                ns(completeMs)));
        return this;
    }

    Hist casInfo(int client, String expected, String value, double invokeMs) {
        ops.add(Operation.cas(ops.size(), client, key, expected, value, false, Outcome.INFO, ns(invokeMs),
                ns(invokeMs) + GAVE_UP_AFTER));
        return this;
    }

    /** Continues on another key of the same history. */
    Hist key(String other) {
        Hist h = new Hist(other);
        h.ops.addAll(ops);
        return h;
    }

    History history() {
        return History.of(ops);
    }

    List<Operation> list() {
        return List.copyOf(ops);
    }

    static long ns(double ms) {
        return Math.round(ms * MS);
    }
}
