package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Operations that are not {@linkplain RegisterOp#mandatory() mandatory} (indeterminate writes) may be
 * linearized at any point after their invocation, or never; the search succeeds as soon as every mandatory
 * operation is linearized. They would multiply the configurations by every subset of them already used,
 * so two things keep them cheap:
 * <ul>
 *   <li>they sit in a second list, and at each configuration are tried only after every mandatory
 *   candidate, so configurations that use fewer of them are explored first;</li>
 *   <li>the cache prunes by subsumption: a configuration is skipped when one with the same mandatory set and
 *   value but a subset of the indeterminate operations used was already explored — it had every choice
 *   this one has.</li>
 * </ul>
 *
 * <p>Not thread-safe; one instance per search. Memory is proportional to the cache, which the
 * {@link SearchBudget} bounds.
 */
final class LinearizabilitySearch {
    private static final int NIL = -1;
    private static final int NO_ENABLER = Integer.MIN_VALUE;

    /** The order of completion, ties broken by invocation then id: the order prefixes are cut in. */
    static final Comparator<RegisterOp> COMPLETION_ORDER = Comparator.comparingLong(RegisterOp::complete)
            .thenComparingLong(RegisterOp::invoke).thenComparingLong(op -> op.source().id());

    /**
     * The answer and how many steps it took. When invalid, {@code culprit} is the first operation, in order
     * of completion, that no explored configuration could linearize together with every operation that
     * completed before it: the history cut at its completion is the shortest prefix that is not
     * linearizable. Else null.
     */
    record Result(Verdict verdict, long steps, String unknownReason, RegisterOp culprit) {
    }

    private final List<RegisterOp> ops;
    private final int initialState;
    private final SearchBudget budget;

    // Mandatory events: node 0 is the head sentinel, nodes 1..m are calls and returns ordered by time.
    private final int[] next;
    private final int[] prev;
    private final int[] opOfEvent;
    private final boolean[] isCall;
    private final long[] timeOfEvent;
    private final int[] returnOfCall;
    // Optional operations: node 0 is the head sentinel, nodes 1..k are their calls ordered by invocation.
    private final int[] optNext;
    private final int[] optPrev;
    private final int[] opOfOptional;

    private final int[] bitOf;
    /** Mandatory operations by completion time; rankOf[op] is the inverse (-1 for optional ones). */
    private final int[] byCompletion;
    private final int[] rankOf;
    private final int mandatoryCount;
    private final int optionalCount;
    private final long[] zobrist;

    LinearizabilitySearch(List<RegisterOp> ops, int initialState, SearchBudget budget) {
        this.ops = ops;
        this.initialState = initialState;
        this.budget = budget;
        int n = ops.size();
        bitOf = new int[n];
        List<long[]> events = new ArrayList<>(2 * n); // {time, kind (0 call, 1 return), op}
        List<Integer> optionalOps = new ArrayList<>();
        int mandatory = 0;
        for (int i = 0; i < n; i++) {
            RegisterOp op = ops.get(i);
            if (op.mandatory()) {
                bitOf[i] = mandatory++;
                events.add(new long[] {op.invoke(), 0, i});
                events.add(new long[] {op.complete(), 1, i});
            } else {
                bitOf[i] = optionalOps.size();
                optionalOps.add(i);
            }
        }
        mandatoryCount = mandatory;
        optionalCount = optionalOps.size();
        // Calls before completions at equal times: two operations whose times touch are treated as
        // concurrent, which can only accept more histories — the clock cannot order them either.
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                : a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
        int m = events.size();
        next = new int[m + 1];
        prev = new int[m + 1];
        opOfEvent = new int[m + 1];
        isCall = new boolean[m + 1];
        timeOfEvent = new long[m + 1];
        returnOfCall = new int[m + 1];
        link(next, prev, m);
        int[] callOfOp = new int[n];
        Arrays.fill(returnOfCall, NIL);
        for (int e = 1; e <= m; e++) {
            long[] ev = events.get(e - 1);
            timeOfEvent[e] = ev[0];
            opOfEvent[e] = (int) ev[2];
            isCall[e] = ev[1] == 0;
            if (isCall[e]) {
                callOfOp[opOfEvent[e]] = e;
            } else {
                returnOfCall[callOfOp[opOfEvent[e]]] = e;
            }
        }
        optionalOps.sort(Comparator.comparingLong((Integer i) -> ops.get(i).invoke()).thenComparingInt(i -> i));
        int k = optionalOps.size();
        optNext = new int[k + 1];
        optPrev = new int[k + 1];
        opOfOptional = new int[k + 1];
        link(optNext, optPrev, k);
        for (int o = 1; o <= k; o++) {
            opOfOptional[o] = optionalOps.get(o - 1);
        }
        List<Integer> mandatoryOps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (ops.get(i).mandatory()) {
                mandatoryOps.add(i);
            }
        }
        mandatoryOps.sort(Comparator.comparing((Integer i) -> ops.get(i), COMPLETION_ORDER));
        byCompletion = new int[mandatoryOps.size()];
        rankOf = new int[n];
        Arrays.fill(rankOf, -1);
        for (int r = 0; r < byCompletion.length; r++) {
            byCompletion[r] = mandatoryOps.get(r);
            rankOf[byCompletion[r]] = r;
        }
        zobrist = new long[n];
        SplittableRandom random = new SplittableRandom(0x5EED);
        for (int i = 0; i < n; i++) {
            zobrist[i] = random.nextLong();
        }
    }

    private static void link(int[] next, int[] prev, int size) {
        for (int i = 0; i <= size; i++) {
            next[i] = i < size ? i + 1 : NIL;
            prev[i] = i - 1;
        }
    }

    /** Searches for a linearization within the budget. */
    Result run() {
        int n = ops.size();
        long[] mandatory = new long[(mandatoryCount + 63) >>> 6];
        long[] optional = new long[(optionalCount + 63) >>> 6];
        int mandatoryLeft = mandatoryCount;
        long hash = 0;
        int state = initialState;
        // The choice stack: which node was lifted (optional nodes are stored as ~node), and the state and
        // barrier before it.
        int[] stackNode = new int[n];
        int[] stackState = new int[n];
        long[] stackBarrier = new long[n];
        int[] stackEnabler = new int[n];
        // After an optional operation is linearized in state p, the next operation must be one that could
        // not have gone in p: otherwise the optional one changed nothing anybody saw, and the same next
        // step without it (keeping it available) was, or will be, explored from the parent — which
        // dominates. NO_ENABLER when the last choice was mandatory.
        int enabler = NO_ENABLER;
        int depth = 0;
        Map<Config, List<long[]>> cache = new HashMap<>();
        long cacheWords = 0;
        long steps = 0;
        long deadline = System.nanoTime() + budget.maxTime().toNanos();

        // completedPrefix: how many operations, in completion order, are all linearized now; bestPrefix: the
        // most ever — the operation at that rank is the culprit if the search fails.
        long[] byRank = new long[(mandatoryCount + 63) >>> 6];
        int completedPrefix = 0;
        int bestPrefix = 0;
        int e = next[0];        // cursor in the mandatory list, when not in the optional phase
        int o = NIL;            // cursor in the optional list, in the optional phase
        boolean optionalPhase = false;
        long barrier = 0;       // in the optional phase: time of the first completion still waiting
        while (true) {
            if (mandatoryLeft == 0) {
                return new Result(Verdict.VALID, steps, null, null);
            }
            steps++;
            if (steps > budget.maxSteps()) {
                return new Result(Verdict.UNKNOWN, steps, "step budget of " + budget.maxSteps() + " spent", null);
            }
            if ((steps & 0xFFF) == 0 && System.nanoTime() > deadline) {
                return new Result(Verdict.UNKNOWN, steps, "time budget of " + budget.maxTime() + " spent", null);
            }
            int op;
            if (!optionalPhase) {
                if (e == NIL || !isCall[e]) {
                    // Every mandatory candidate has been tried; now the optional ones invoked by then.
                    optionalPhase = true;
                    barrier = e == NIL ? Long.MAX_VALUE : timeOfEvent[e];
                    o = optNext[0];
                    continue;
                }
                op = opOfEvent[e];
            } else {
                if (o == NIL || ops.get(opOfOptional[o]).invoke() > barrier) {
                    // Nothing more can go next: undo the most recent choice and try what follows it.
                    if (depth == 0) {
                        return new Result(Verdict.INVALID, steps, null, ops.get(byCompletion[bestPrefix]));
                    }
                    depth--;
                    int node = stackNode[depth];
                    boolean wasOptional = node < 0;
                    int undoneOp = wasOptional ? opOfOptional[~node] : opOfEvent[node];
                    int bit = bitOf[undoneOp];
                    if (wasOptional) {
                        optional[bit >>> 6] &= ~(1L << bit);
                        relink(optNext, optPrev, ~node);
                        o = optNext[~node];
                        barrier = stackBarrier[depth];
                    } else {
                        mandatory[bit >>> 6] &= ~(1L << bit);
                        hash ^= zobrist[undoneOp];
                        mandatoryLeft++;
                        int rank = rankOf[undoneOp];
                        byRank[rank >>> 6] &= ~(1L << rank);
                        completedPrefix = Math.min(completedPrefix, rank);
                        int ret = returnOfCall[node];
                        relink(next, prev, ret);
                        relink(next, prev, node);
                        optionalPhase = false;
                        e = next[node];
                    }
                    state = stackState[depth];
                    enabler = stackEnabler[depth];
                    continue;
                }
                op = opOfOptional[o];
            }

            RegisterOp candidate = ops.get(op);
            int after = candidate.apply(state);
            if (enabler != NO_ENABLER && candidate.apply(enabler) != RegisterOp.REJECT) {
                after = RegisterOp.REJECT;
            }
            int nextEnabler = candidate.mandatory() ? NO_ENABLER : state;
            boolean taken = false;
            if (after != RegisterOp.REJECT) {
                int bit = bitOf[op];
                long[] set = candidate.mandatory() ? mandatory : optional;
                set[bit >>> 6] |= 1L << bit;
                long newHash = candidate.mandatory() ? hash ^ zobrist[op] : hash;
                List<long[]> explored = cache.get(new Config(mandatory, after, nextEnabler, newHash));
                if (explored == null || !anySubset(explored, optional)) {
                    if (explored == null) {
                        explored = new ArrayList<>(1);
                        cache.put(new Config(mandatory.clone(), after, nextEnabler, newHash), explored);
                        cacheWords += mandatory.length + 8;
                    }
                    explored.add(optional.clone());
                    cacheWords += optional.length + 4;
                    if (cacheWords > budget.maxCacheWords()) {
                        return new Result(Verdict.UNKNOWN, steps,
                                "memory budget of " + budget.maxCacheWords() + " words spent", null);
                    }
                    stackNode[depth] = optionalPhase ? ~o : e;
                    stackState[depth] = state;
                    stackBarrier[depth] = barrier;
                    stackEnabler[depth] = enabler;
                    enabler = nextEnabler;
                    depth++;
                    state = after;
                    hash = newHash;
                    if (candidate.mandatory()) {
                        mandatoryLeft--;
                        int rank = rankOf[op];
                        byRank[rank >>> 6] |= 1L << rank;
                        while (completedPrefix < mandatoryCount
                                && (byRank[completedPrefix >>> 6] & (1L << completedPrefix)) != 0) {
                            completedPrefix++;
                        }
                        bestPrefix = Math.max(bestPrefix, completedPrefix);
                        unlink(next, prev, e);
                        unlink(next, prev, returnOfCall[e]);
                    } else {
                        unlink(optNext, optPrev, o);
                    }
                    optionalPhase = false;
                    e = next[0];
                    taken = true;
                } else {
                    set[bit >>> 6] &= ~(1L << bit);
                }
            }
            if (!taken) {
                if (optionalPhase) {
                    o = optNext[o];
                } else {
                    e = next[e];
                }
            }
        }
    }

    /**
     * True when some explored set of optional operations is a subset of {@code used}: that configuration
     * had every option this one has (an optional operation not yet used can still be used, or not), and
     * it was already explored, so this one cannot succeed where it did not.
     */
    private static boolean anySubset(List<long[]> explored, long[] used) {
        for (long[] seen : explored) {
            boolean subset = true;
            for (int w = 0; w < used.length && subset; w++) {
                subset = (seen[w] & ~used[w]) == 0;
            }
            if (subset) {
                return true;
            }
        }
        return false;
    }

    private static void unlink(int[] next, int[] prev, int node) {
        next[prev[node]] = next[node];
        if (next[node] != NIL) {
            prev[next[node]] = prev[node];
        }
    }

    /** Inverse of {@link #unlink}, valid when nodes are relinked in the reverse order of unlinking. */
    private static void relink(int[] next, int[] prev, int node) {
        next[prev[node]] = node;
        if (next[node] != NIL) {
            prev[next[node]] = node;
        }
    }

    /**
     * The cache key: which mandatory operations are linearized, the register value after them, and the
     * state the next operation must not be possible in (a restricted configuration is explored less, so it
     * must not stand in for an unrestricted one).
     */
    private static final class Config {
        final long[] linearized;
        final int state;
        final int enabler;
        final long hash;

        Config(long[] linearized, int state, int enabler, long hash) {
            this.linearized = linearized;
            this.state = state;
            this.enabler = enabler;
            this.hash = hash;
        }

        @Override
        public int hashCode() {
            long h = (hash * 31 + state) * 31 + enabler;
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.state == state && c.enabler == enabler && c.hash == hash
                    && Arrays.equals(c.linearized, linearized);
        }
    }
}
