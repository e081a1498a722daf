package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The Wing–Gong search for a linearization of one register's operations, with Lowe's improvements: the
 * invocation and completion events sit in a doubly-linked list ordered by time; an operation may be
 * linearized next if its invocation comes before the first completion still in the list (no operation
 * that completed earlier is still waiting); linearizing it "lifts" its two events out of the list, and
 * backtracking puts them back. A cache of every configuration seen — the set of linearized operations as a
 * bitset, plus the register value — prunes any branch that reaches a configuration already explored, which
 * is what makes the search practical (Lowe, "Testing for linearizability", 2017; the same scheme as
 * Porcupine's and close to Knossos's).
 *
 * <p>Operations that are not {@linkplain RegisterOp#mandatory() mandatory} (indeterminate writes) have an
 * invocation event but no completion event: they may be linearized at any point after their invocation,
 * or never. The search succeeds as soon as every mandatory operation is linearized.
 *
 * <p>Not thread-safe; one instance per search. Allocation is proportional to the cache size, which the
 * {@link SearchBudget} bounds.
 */
final class LinearizabilitySearch {
    private static final int NIL = -1;
    private static final int HEAD = 0;

    /** The answer, and how many steps it took. */
    record Result(Verdict verdict, long steps, String unknownReason) {
    }

    private final List<RegisterOp> ops;
    private final int initialState;
    private final SearchBudget budget;

    // The event list: node 0 is the head sentinel, nodes 1..events are events.
    private final int[] next;
    private final int[] prev;
    private final int[] opOfEvent;
    private final boolean[] isCall;
    private final int[] returnOfCall;
    private final long[] zobrist;

    LinearizabilitySearch(List<RegisterOp> ops, int initialState, SearchBudget budget) {
        this.ops = ops;
        this.initialState = initialState;
        this.budget = budget;
        int n = ops.size();
        List<long[]> events = new ArrayList<>(2 * n); // {time, kind (0 call, 1 return), op}
        for (int i = 0; i < n; i++) {
            RegisterOp op = ops.get(i);
            events.add(new long[] {op.invoke(), 0, i});
            if (op.mandatory()) {
                events.add(new long[] {op.complete(), 1, i});
            }
        }
        // Calls before completions at equal times: two operations whose times touch are treated as
        // concurrent, which can only accept more histories — the clock cannot order them either.
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                : a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
        int m = events.size();
        next = new int[m + 1];
        prev = new int[m + 1];
        opOfEvent = new int[m + 1];
        isCall = new boolean[m + 1];
        returnOfCall = new int[m + 1];
        int[] callOfOp = new int[n];
        for (int i = 0; i <= m; i++) {
            next[i] = i < m ? i + 1 : NIL;
            prev[i] = i - 1;
            returnOfCall[i] = NIL;
        }
        for (int e = 1; e <= m; e++) {
            long[] ev = events.get(e - 1);
            opOfEvent[e] = (int) ev[2];
            isCall[e] = ev[1] == 0;
            if (isCall[e]) {
                callOfOp[opOfEvent[e]] = e;
            } else {
                returnOfCall[callOfOp[opOfEvent[e]]] = e;
            }
        }
        zobrist = new long[n];
        SplittableRandom random = new SplittableRandom(0x5EED);
        for (int i = 0; i < n; i++) {
            zobrist[i] = random.nextLong();
        }
    }

    /** Searches for a linearization within the budget. */
    Result run() {
        int n = ops.size();
        int mandatoryLeft = 0;
        for (RegisterOp op : ops) {
            if (op.mandatory()) {
                mandatoryLeft++;
            }
        }
        long[] linearized = new long[(n + 63) >>> 6];
        long hash = 0;
        int state = initialState;
        int[] stackEvent = new int[n];
        int[] stackState = new int[n];
        int depth = 0;
        Set<Config> cache = new HashSet<>();
        long cacheWords = 0;
        long steps = 0;
        long deadline = System.nanoTime() + budget.maxTime().toNanos();

        int e = next[HEAD];
        while (true) {
            if (mandatoryLeft == 0) {
                return new Result(Verdict.VALID, steps, null);
            }
            steps++;
            if (steps > budget.maxSteps()) {
                return new Result(Verdict.UNKNOWN, steps, "step budget of " + budget.maxSteps() + " spent");
            }
            if ((steps & 0xFFF) == 0 && System.nanoTime() > deadline) {
                return new Result(Verdict.UNKNOWN, steps, "time budget of " + budget.maxTime() + " spent");
            }
            if (e != NIL && isCall[e]) {
                int op = opOfEvent[e];
                int after = ops.get(op).apply(state);
                if (after != RegisterOp.REJECT) {
                    linearized[op >>> 6] |= 1L << op;
                    long newHash = hash ^ zobrist[op];
                    Config probe = new Config(linearized, after, newHash);
                    if (!cache.contains(probe)) {
                        cache.add(new Config(linearized.clone(), after, newHash));
                        cacheWords += linearized.length + 4;
                        if (cacheWords > budget.maxCacheWords()) {
                            return new Result(Verdict.UNKNOWN, steps,
                                    "memory budget of " + budget.maxCacheWords() + " words spent");
                        }
                        stackEvent[depth] = e;
                        stackState[depth] = state;
                        depth++;
                        state = after;
                        hash = newHash;
                        if (ops.get(op).mandatory()) {
                            mandatoryLeft--;
                        }
                        lift(e);
                        e = next[HEAD];
                        continue;
                    }
                    linearized[op >>> 6] &= ~(1L << op);
                }
                e = next[e];
            } else {
                // A completion of an operation not yet linearized: nothing after it may go first. Undo the
                // most recent choice and try the next candidate after it.
                if (depth == 0) {
                    return new Result(Verdict.INVALID, steps, null);
                }
                depth--;
                int undone = stackEvent[depth];
                int op = opOfEvent[undone];
                state = stackState[depth];
                linearized[op >>> 6] &= ~(1L << op);
                hash ^= zobrist[op];
                if (ops.get(op).mandatory()) {
                    mandatoryLeft++;
                }
                unlift(undone);
                e = next[undone];
            }
        }
    }

    private void lift(int call) {
        unlink(call);
        int ret = returnOfCall[call];
        if (ret != NIL) {
            unlink(ret);
        }
    }

    /** Exact inverse of {@link #lift}: relinks in the reverse order, relying on the lifted nodes' own links. */
    private void unlift(int call) {
        int ret = returnOfCall[call];
        if (ret != NIL) {
            relink(ret);
        }
        relink(call);
    }

    private void unlink(int node) {
        next[prev[node]] = next[node];
        if (next[node] != NIL) {
            prev[next[node]] = prev[node];
        }
    }

    private void relink(int node) {
        next[prev[node]] = node;
        if (next[node] != NIL) {
            prev[next[node]] = node;
        }
    }

    /** A configuration: which operations are linearized, and the register value after them. */
    private static final class Config {
        final long[] linearized;
        final int state;
        final long hash;

        Config(long[] linearized, int state, long hash) {
            this.linearized = linearized;
            this.state = state;
            this.hash = hash;
        }

        @Override
        public int hashCode() {
            long h = hash * 31 + state;
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.state == state && c.hash == hash
                    && Arrays.equals(c.linearized, linearized);
        }
    }
}
