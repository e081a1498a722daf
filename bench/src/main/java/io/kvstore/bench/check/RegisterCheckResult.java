package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The linearizability verdict for a whole register history: invalid if any key is, else unknown if any
 * key's search ran out of budget, else valid.
 *
 * @param keys         one result per key, in the history's key order
 * @param operations   all operations in the history
 * @param ok           operations with outcome ok
 * @param failed       operations with outcome fail
 * @param indeterminate operations with outcome info
 * @param elapsedNanos wall-clock time of the whole check
 */
public record RegisterCheckResult(List<KeyResult> keys, long operations, long ok, long failed,
                                  long indeterminate, long elapsedNanos) implements CheckResult {
    public RegisterCheckResult {
        keys = List.copyOf(keys);
    }

    @Override
    public Verdict verdict() {
        Verdict v = Verdict.VALID;
        for (KeyResult k : keys) {
            v = v.and(k.verdict());
        }
        return v;
    }

    @Override
    public String workload() {
        return "register";
    }

    /** The keys with this verdict. */
    public List<KeyResult> keysWith(Verdict verdict) {
        return keys.stream().filter(k -> k.verdict() == verdict).toList();
    }

    /** The failing windows of the invalid keys. */
    public List<FailingWindow> failures() {
        List<FailingWindow> out = new ArrayList<>();
        for (KeyResult k : keys) {
            if (k.failure() != null) {
                out.add(k.failure());
            }
        }
        return out;
    }

    @Override
    public List<String> summaryLines() {
        long steps = keys.stream().mapToLong(KeyResult::steps).sum();
        List<String> lines = new ArrayList<>();
        lines.add("verdict: " + verdict().word());
        lines.add("operations: " + operations + " (" + ok + " ok, " + failed + " fail, " + indeterminate + " info)");
        lines.add("keys: " + keys.size() + " (" + keysWith(Verdict.VALID).size() + " valid, "
                + keysWith(Verdict.INVALID).size() + " invalid, " + keysWith(Verdict.UNKNOWN).size() + " unknown)");
        lines.add("search: " + steps + " steps in " + Words.duration(elapsedNanos));
        return lines;
    }

    @Override
    public List<String> findings() {
        List<String> out = new ArrayList<>();
        for (KeyResult k : keys) {
            if (k.failure() != null) {
                out.add(k.failure().text());
            } else if (k.verdict() == Verdict.UNKNOWN) {
                out.add("Key " + Words.value(k.key()) + ": unknown — the search stopped (" + k.unknownReason()
                        + ") after " + k.steps() + " steps over " + Words.count(k.operations(), "operation")
                        + "; no anomaly was found, and none was ruled out.");
            }
        }
        return out;
    }

    @Override
    public Set<Long> flaggedOperationIds() {
        Set<Long> ids = new LinkedHashSet<>();
        for (FailingWindow w : failures()) {
            ids.add(w.culprit().id());
        }
        return ids;
    }
}
