package io.kvstore.bench.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Narrows a non-linearizable key down to its smallest failing window and says why in words.
 *
 * <p>Two shrinking steps over weaker and weaker histories, each step sound — a weakened history accepts
 * everything the original accepts, so a weakened history found failing proves the original fails:
 * <ol>
 *   <li><b>The end.</b> Cut the history at the completion of the k-th operation to complete: operations
 *   completed by then keep their results; operations still running become indeterminate (writes) or are
 *   dropped (reads); later ones are dropped. A prefix of a linearizable history is linearizable, so
 *   there is a smallest failing k; its operation is the <em>culprit</em>, the first impossible result. The
 *   search finds it while refuting the whole history (the furthest it got).</li>
 *   <li><b>The start.</b> Cut again at a time S: operations that completed before S are dropped, writes
 *   running across S become indeterminate, reads running across S are dropped, and the key may hold any
 *   value at S. Later cuts are weaker, so the latest failing S is found by galloping back from the
 *   culprit and bisecting.</li>
 * </ol>
 */
final class FailureExplainer {
    private static final int MAX_LISTED = 40;

    private final String key;
    private final List<Operation> keyOps;
    private final List<RegisterOp> searchOps;
    private final RegisterOp culprit;
    private final SearchBudget budget;
    private final long probeSteps;
    private final long origin;
    private long deadline;

    /**
     * @param keyOps    every recorded operation of the key, including failed ones (for the words)
     * @param searchOps the key's operations as checked, found not linearizable from the absent state
     * @param culprit   the first impossible result, as found by that search
     * @param budget    budget of each of the (about 2 log n) searches this makes; their total time is
     *                  bounded by the budget's time too
     * @param probeSteps step bound of each search: a window that takes longer to refute is not reported
     * @param origin    the history's time zero
     */
    FailureExplainer(String key, List<Operation> keyOps, List<RegisterOp> searchOps, RegisterOp culprit,
                     SearchBudget budget, long probeSteps, long origin) {
        this.key = key;
        this.keyOps = keyOps;
        this.searchOps = searchOps;
        this.culprit = culprit;
        this.budget = budget;
        this.probeSteps = Math.min(probeSteps, budget.maxSteps());
        this.origin = origin;
    }

    FailingWindow explain() {
        deadline = System.nanoTime() + budget.maxTime().toNanos();
        List<RegisterOp> byCompletion = new ArrayList<>();
        for (RegisterOp op : searchOps) {
            if (op.mandatory()) {
                byCompletion.add(op);
            }
        }
        byCompletion.sort(LinearizabilitySearch.COMPLETION_ORDER);
        Map<RegisterOp, Integer> rank = new IdentityHashMap<>();
        for (int i = 0; i < byCompletion.size(); i++) {
            rank.put(byCompletion.get(i), i);
        }
        // Step 1 was done by the search itself (see LinearizabilitySearch.Result#culprit).
        Operation source = culprit.source();
        if (observesUnwrittenValue(source)) {
            // Self-evident on its own, and a window from "any value" could not show it: report it alone.
            return describe(source, List.of(culprit), culprit.invoke(), culprit.complete(), false,
                    " (it saw a value that no operation which could have taken effect wrote)");
        }
        List<RegisterOp> prefix = prefix(culprit, rank, rank.get(culprit));

        // Step 2: the latest start S from which the prefix still fails with any initial value. Short
        // windows are cheap to check and long ones dear, so gallop back from the culprit, then bisect.
        TreeSet<Long> startSet = new TreeSet<>();
        for (RegisterOp op : prefix) {
            if (op.mandatory() && op.invoke() <= culprit.invoke()) {
                startSet.add(op.invoke());
            }
        }
        List<Long> starts = new ArrayList<>(startSet);
        int notFailing = starts.size(); // the lowest index known not to fail (size: none known)
        int failing = -1;               // the highest index known to fail (-1: the whole prefix from absent)
        for (int step = 1; ; step *= 2) {
            int probe = starts.size() - step;
            if (probe < 0) {
                break;
            }
            if (fails(window(prefix, starts.get(probe)), RegisterOp.ANY)) {
                failing = probe;
                break;
            }
            notFailing = probe;
        }
        while (notFailing - failing > 1) {
            int mid = (failing + notFailing) >>> 1;
            if (fails(window(prefix, starts.get(mid)), RegisterOp.ANY)) {
                failing = mid;
            } else {
                notFailing = mid;
            }
        }
        if (failing < 0) {
            return describe(source, prefix, Math.min(origin, culprit.invoke()), culprit.complete(), true,
                    " (from the beginning: the key starts absent)");
        }
        long start = starts.get(failing);
        return describe(source, window(prefix, start), start, culprit.complete(), false,
                " (the key may hold any value at " + Words.time(start, origin) + ")");
    }

    /** True when {@code op} saw a value (not absent) that nothing able to take effect in time wrote. */
    private boolean observesUnwrittenValue(Operation op) {
        String seen = seenValue(op);
        if (seen == null) {
            return false;
        }
        return keyOps.stream().noneMatch(w -> w != op && w.mayHaveWritten() && seen.equals(w.value())
                && w.invokeNanos() <= op.completeNanos());
    }

    /** The value an OK get returned or an OK swapping CAS found; null when none or absent. */
    private static String seenValue(Operation op) {
        if (op.type() == OpType.GET && op.outcome() == Outcome.OK) {
            return op.value();
        }
        return op.type() == OpType.CAS && op.swapped() ? op.expected() : null;
    }

    /**
     * True when the search proves {@code ops} impossible. A probe that runs out of budget counts as "not
     * proven", which keeps the window larger but never wrong; all probes together get one key's time budget.
     */
    private boolean fails(List<RegisterOp> ops, int initial) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            return false;
        }
        SearchBudget probe = budget.withMaxTime(Duration.ofNanos(remaining)).withMaxSteps(probeSteps);
        return new LinearizabilitySearch(ops, initial, probe).run().verdict() == Verdict.INVALID;
    }

    /** The history as it stood when the k-th operation (by completion) completed. */
    private List<RegisterOp> prefix(RegisterOp kth, Map<RegisterOp, Integer> rank, int k) {
        long cut = kth.complete();
        List<RegisterOp> out = new ArrayList<>();
        for (RegisterOp op : searchOps) {
            if (op.invoke() > cut) {
                continue;
            }
            if (!op.mandatory() || rank.get(op) <= k) {
                out.add(op);
            } else if (writes(op)) {
                out.add(indeterminate(op));
            }
        }
        return out;
    }

    /** The prefix seen from time {@code start} on, with whatever value the key had at {@code start}. */
    private static List<RegisterOp> window(List<RegisterOp> prefix, long start) {
        List<RegisterOp> out = new ArrayList<>();
        for (RegisterOp op : prefix) {
            if (!op.mandatory() || op.invoke() >= start) {
                out.add(op);
            } else if (op.complete() >= start && writes(op)) {
                out.add(indeterminate(op));
            }
        }
        return out;
    }

    private static boolean writes(RegisterOp op) {
        return op.kind() == RegisterOp.Kind.WRITE || op.kind() == RegisterOp.Kind.CAS_SWAPPED;
    }

    private static RegisterOp indeterminate(RegisterOp op) {
        return new RegisterOp(op.source(), op.kind(), op.value(), op.expected(), op.invoke(), Long.MAX_VALUE,
                false);
    }

    // ---------------------------------------------------------------- words

    private FailingWindow describe(Operation culprit, List<RegisterOp> window, long start, long end,
                                   boolean fromStart, String startNote) {
        Set<Operation> shown = new LinkedHashSet<>();
        for (RegisterOp op : window) {
            shown.add(op.source());
        }
        for (Operation op : keyOps) { // failed operations explain nothing but may explain a value's origin
            if (op.outcome() == Outcome.FAIL && op.invokeNanos() >= start && op.invokeNanos() <= end) {
                shown.add(op);
            }
        }
        List<Operation> ordered = new ArrayList<>(shown);
        ordered.sort(Comparator.comparingLong(Operation::invokeNanos).thenComparingLong(Operation::id));

        StringBuilder text = new StringBuilder();
        text.append("Key ").append(Words.value(key)).append(" is not linearizable.\n");
        text.append("First impossible result: ").append(Words.describe(culprit, origin)).append(".\n");
        text.append("Why: ").append(why(culprit, ordered, start, fromStart)).append('\n');
        text.append("Smallest failing window: ").append(Words.time(start, origin)).append(" to ")
                .append(Words.time(end, origin)).append(", ").append(Words.count(ordered.size(), "operation"));
        text.append(startNote).append(":\n");
        int skip = Math.max(0, ordered.size() - MAX_LISTED);
        if (skip > 0) {
            text.append("  … ").append(Words.count(skip, "earlier operation")).append(" not listed\n");
        }
        for (int i = skip; i < ordered.size(); i++) {
            Operation op = ordered.get(i);
            text.append("  ").append(i + 1).append(". ").append(Words.describe(op, origin));
            if (op == culprit) {
                text.append("   ← impossible");
            } else if (op.outcome() == Outcome.OK && op.invokeNanos() < start) {
                text.append(" (running at the window's start: may have taken effect before it)");
            }
            text.append('\n');
        }
        List<Operation> context = new ArrayList<>();
        String seen = seenValue(culprit);
        for (Operation op : keyOps) {
            if (context.size() < 5 && !shown.contains(op) && op != culprit && op.type().writesRegister()
                    && Objects.equals(op.value(), seen) && op.invokeNanos() <= end) {
                context.add(op);
            }
        }
        return new FailingWindow(key, culprit, ordered, start, end, fromStart, text.toString().stripTrailing(),
                context);
    }

    /** The reason, in one or two sentences: a specific story when the facts support one, else the rule. */
    private String why(Operation culprit, List<Operation> window, long start, boolean fromStart) {
        String generic = "no order of the operations below agrees with both their results and their real-time"
                + " order" + (fromStart ? "." : ", whatever value the key held at " + Words.time(start, origin)
                + ".");
        String observer;
        String seen;
        if (culprit.type() == OpType.GET && culprit.outcome() == Outcome.OK) {
            observer = "the get";
            seen = culprit.value();
        } else if (culprit.type() == OpType.CAS && culprit.swapped()) {
            observer = "the cas";
            seen = culprit.expected();
        } else if (culprit.type() == OpType.CAS && culprit.outcome() == Outcome.OK) {
            return casNoSwapStory(culprit).orElse(capitalize(generic));
        } else {
            return capitalize(generic);
        }
        List<Operation> effective = new ArrayList<>();
        List<String> ineffective = new ArrayList<>();
        for (Operation op : keyOps) {
            if (op == culprit || !op.type().writesRegister() || !Objects.equals(op.value(), seen)) {
                continue;
            }
            if (op.mayHaveWritten() && op.invokeNanos() <= culprit.completeNanos()) {
                effective.add(op);
            } else {
                ineffective.add(Words.describe(op, origin));
            }
        }
        if (seen != null && effective.isEmpty()) {
            return capitalize(observer) + " saw " + Words.value(seen) + ", but nothing that could have taken"
                    + " effect before it completed wrote that value"
                    + (ineffective.isEmpty() ? " (no operation ever wrote it to this key)."
                    : "; the only writes of it: " + String.join("; ", ineffective) + ".");
        }
        // A blocker pins the key to another value after every write of the seen value had completed, and
        // before the culprit began: an acknowledged write of another value, or a read that saw one.
        List<Operation> blockers = new ArrayList<>();
        for (Operation op : window) {
            boolean pinsOther = op.outcome() == Outcome.OK && op != culprit
                    && (op.mayHaveWritten() || op.type() == OpType.GET) && !Objects.equals(op.value(), seen);
            if (pinsOther && op.completeNanos() < culprit.invokeNanos()) {
                blockers.add(op);
            }
        }
        blockers.sort(Comparator.comparingLong(Operation::completeNanos).reversed());
        for (Operation blocker : blockers) {
            boolean allOverwritten = effective.stream().allMatch(
                    w -> w.outcome() == Outcome.OK && w.completeNanos() < blocker.invokeNanos());
            if (!allOverwritten) {
                continue;
            }
            String head = blocker.type() == OpType.GET
                    ? "an earlier get by client " + blocker.client() + " saw " + Words.value(blocker.value()) + " and completed at "
                    + Words.time(blocker.completeNanos(), origin) + ", before " + observer + " began at "
                    + Words.time(culprit.invokeNanos(), origin)
                    : Words.request(blocker) + " by client " + blocker.client() + " completed at "
                    + Words.time(blocker.completeNanos(), origin) + ", before " + observer + " began at "
                    + Words.time(culprit.invokeNanos(), origin);
            if (seen == null) {
                return capitalize(observer) + " saw the key absent, but " + head
                        + ", and no operation removes a key.";
            }
            List<String> writes = new ArrayList<>();
            for (Operation w : effective) {
                writes.add(Words.describe(w, origin));
            }
            return capitalize(observer) + " saw " + Words.value(seen) + ", but " + head + "; every write of "
                    + Words.value(seen) + " (" + String.join("; ", writes) + ") had completed before that "
                    + blocker.type().jsonName() + " began at " + Words.time(blocker.invokeNanos(), origin)
                    + ", so " + Words.value(seen) + " had been overwritten.";
        }
        return capitalize(generic);
    }

    /**
     * A CAS that reported another value than the expected one, though the expected value was certainly
     * there: the last write before it wrote that value, and every other write that could have taken effect
     * by then had completed before that write began.
     */
    private java.util.Optional<String> casNoSwapStory(Operation cas) {
        String expected = cas.expected();
        List<Operation> otherWrites = new ArrayList<>();
        List<Operation> writesOfExpected = new ArrayList<>();
        for (Operation op : keyOps) {
            if (op != cas && op.mayHaveWritten() && op.invokeNanos() <= cas.completeNanos()) {
                (Objects.equals(op.value(), expected) ? writesOfExpected : otherWrites).add(op);
            }
        }
        if (expected == null) {
            return otherWrites.isEmpty() && writesOfExpected.isEmpty()
                    ? java.util.Optional.of("The cas reported that the key was not absent, but nothing that could"
                    + " have taken effect before it completed had written to the key.")
                    : java.util.Optional.empty();
        }
        for (Operation b : writesOfExpected) {
            boolean last = b.outcome() == Outcome.OK && b.completeNanos() < cas.invokeNanos()
                    && otherWrites.stream().allMatch(
                    w -> w.outcome() == Outcome.OK && w.completeNanos() < b.invokeNanos());
            if (last) {
                return java.util.Optional.of("The cas reported that the key did not hold " + Words.value(expected)
                        + ", but " + Words.request(b) + " by client " + b.client() + " completed at "
                        + Words.time(b.completeNanos(), origin) + ", before the cas began at "
                        + Words.time(cas.invokeNanos(), origin) + ", and every other write that could have taken"
                        + " effect by then had completed before that " + b.type().jsonName() + " began at "
                        + Words.time(b.invokeNanos(), origin) + ": the key held " + Words.value(expected) + ".");
            }
        }
        return java.util.Optional.empty();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
