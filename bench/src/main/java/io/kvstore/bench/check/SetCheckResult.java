package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The set-workload verdict for a whole history: invalid if any set shows an anomaly, else unknown if a
 * set had no successful final read, else valid.
 *
 * @param sets          one result per set
 * @param operations    all operations
 * @param ok            operations with outcome ok
 * @param failed        operations with outcome fail
 * @param indeterminate operations with outcome info
 * @param originNanos   the history's time zero, for the words
 * @param elapsedNanos  time the check took
 */
public record SetCheckResult(List<SetKeyResult> sets, long operations, long ok, long failed, long indeterminate,
                             long originNanos, long elapsedNanos) implements CheckResult {
    private static final int MAX_LISTED = 20;

    public SetCheckResult {
        sets = List.copyOf(sets);
    }

    @Override
    public Verdict verdict() {
        Verdict v = Verdict.VALID;
        for (SetKeyResult s : sets) {
            v = v.and(s.verdict());
        }
        return v;
    }

    @Override
    public String workload() {
        return "set";
    }

    /** Every lost element (acknowledged, then missing), over all sets. */
    public List<Operation> lost() {
        return sets.stream().flatMap(s -> s.lost().stream()).toList();
    }

    @Override
    public List<String> summaryLines() {
        List<String> lines = new ArrayList<>();
        lines.add("verdict: " + verdict().word());
        lines.add("operations: " + operations + " (" + ok + " ok, " + failed + " fail, " + indeterminate + " info)");
        lines.add("sets: " + sets.size());
        lines.add("acknowledged adds: " + sum(SetKeyResult::acknowledged));
        lines.add("lost: " + sum(s -> s.lost().size()));
        lines.add("other anomalies: " + sum(s -> s.failedButPresent().size()) + " failed adds present, "
                + sum(s -> s.unexpected().size()) + " unexpected, " + sum(s -> s.duplicated().size())
                + " duplicated, " + sum(s -> s.presentBeforeAdded().size()) + " present before added");
        lines.add("indeterminate adds: " + sum(SetKeyResult::indeterminatePresent) + " present, "
                + sum(SetKeyResult::indeterminateAbsent) + " absent");
        lines.add("ok adds running when the final read began, absent: " + sum(SetKeyResult::concurrentAbsent));
        return lines;
    }

    private int sum(java.util.function.ToIntFunction<SetKeyResult> f) {
        return sets.stream().mapToInt(f).sum();
    }

    @Override
    public List<String> findings() {
        List<String> out = new ArrayList<>();
        for (SetKeyResult s : sets) {
            String set = "Set " + Words.value(s.key());
            if (s.finalRead() == null) {
                out.add(set + ": unknown — no read of it succeeded, so nothing could be checked ("
                        + Words.count(s.acknowledged(), "acknowledged add") + ").");
                continue;
            }
            String read = "the final read (" + Words.describe(s.finalRead(), originNanos) + ")";
            if (!s.lost().isEmpty()) {
                out.add(set + ": " + Words.count(s.lost().size(), "acknowledged add") + " missing from " + read
                        + " — lost writes: " + listOps(s.lost()) + ".");
            }
            if (!s.failedButPresent().isEmpty()) {
                out.add(set + ": " + Words.count(s.failedButPresent().size(), "add")
                        + " reported as failed but present in " + read + ": " + listOps(s.failedButPresent()) + ".");
            }
            if (!s.presentBeforeAdded().isEmpty()) {
                out.add(set + ": " + Words.count(s.presentBeforeAdded().size(), "element") + " present in " + read
                        + " though added only after it completed: " + listOps(s.presentBeforeAdded()) + ".");
            }
            if (!s.unexpected().isEmpty()) {
                out.add(set + ": " + Words.count(s.unexpected().size(), "element") + " in " + read
                        + " that no operation added: " + list(s.unexpected(), Words::value) + ".");
            }
            if (!s.duplicated().isEmpty()) {
                out.add(set + ": " + Words.count(s.duplicated().size(), "element") + " returned more than once by "
                        + read + ": " + list(s.duplicated(), Words::value) + ".");
            }
        }
        return out;
    }

    private String listOps(List<Operation> ops) {
        return list(ops, op -> Words.value(op.value()) + " (" + Words.describe(op, originNanos) + ")");
    }

    private static <T> String list(List<T> items, Function<T, String> words) {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < Math.min(items.size(), MAX_LISTED); i++) {
            shown.add(words.apply(items.get(i)));
        }
        String more = items.size() > MAX_LISTED ? "; … and " + (items.size() - MAX_LISTED) + " more" : "";
        return String.join("; ", shown) + more;
    }

    @Override
    public Set<Long> flaggedOperationIds() {
        Set<Long> ids = new LinkedHashSet<>();
        for (SetKeyResult s : sets) {
            s.lost().forEach(op -> ids.add(op.id()));
            s.failedButPresent().forEach(op -> ids.add(op.id()));
            s.presentBeforeAdded().forEach(op -> ids.add(op.id()));
        }
        return ids;
    }
}
