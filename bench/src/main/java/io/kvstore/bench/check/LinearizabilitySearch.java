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
 * so three things keep them cheap:
 * <ul>
 *   <li>they sit in a second list, and at each configuration are tried only after every mandatory
 *   candidate, so configurations that use fewer of them are explored first;</li>
 *   <li>one that is linearized must be followed by an operation it made possible (else it changed nothing
 *   anybody saw, and leaving it unused dominates);</li>
 *   <li>the cache prunes by subsumption: a configuration is skipped when one with the same mandatory set and
 *   value but a subset of the indeterminate operations used was already explored — it had every choice
 *   this one has.</li>
 * </ul>
 * Two more reductions help on long, concurrent histories: an operation that cannot change the value (a
 * read, a CAS that did not swap) and may go now is a <em>forced move</em>, tried alone; and the other
 * candidates are tried in order of completion, so an operation that lingers does not get linearized early
 * on every branch.
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
        long[] optional = new long[(optionalCount + 63) >>> 6];
        int mandatoryLeft = mandatoryCount;
        long hash = 0;
        int state = initialState;
        // Per depth (= number of operations linearized): the configuration's mandatory candidates, in order
        // of completion — an operation that completes early is tried before one that lingers, which finds
        // valid orders with far less backtracking than trying slow operations first — how far through them
        // the search is, and the time of the first completion still waiting (the barrier for optional ones).
        int[][] candidates = new int[n + 1][];
        int[] candidateCount = new int[n + 1];
        int[] candidatePos = new int[n + 1];
        long[] barrierAt = new long[n + 1];
        boolean[] forcedAt = new boolean[n + 1];
        // The choice made at each depth: the node lifted (optional nodes stored as ~node), and what to
        // restore when it is undone.
        int[] chosenNode = new int[n + 1];
        int[] stateBefore = new int[n + 1];
        int[] enablerBefore = new int[n + 1];
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
        boolean optionalPhase = false;
        int o = NIL; // cursor in the optional list, in the optional phase
        enter(0, state, enabler, candidates, candidateCount, candidatePos, barrierAt, forcedAt);
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
            int node;
            if (!optionalPhase) {
                if (candidatePos[depth] < candidateCount[depth]) {
                    node = candidates[depth][candidatePos[depth]];
                } else if (forcedAt[depth]) {
                    node = NIL;
                } else {
                    // Every mandatory candidate has been tried; now the optional ones invoked by then.
                    optionalPhase = true;
                    o = optNext[0];
                    continue;
                }
            } else {
                node = o == NIL || ops.get(opOfOptional[o]).invoke() > barrierAt[depth] ? NIL : o;
            }
            if (node == NIL) {
                // Nothing more can go next: undo the most recent choice and try what follows it. Undoing a
                // forced move leaves its configuration with nothing else to try, so undo again.
                do {
                    if (depth == 0) {
                        return new Result(Verdict.INVALID, steps, null, ops.get(byCompletion[bestPrefix]));
                    }
                    depth--;
                    int chosen = chosenNode[depth];
                    boolean wasOptional = chosen < 0;
                    int undoneOp = wasOptional ? opOfOptional[~chosen] : opOfEvent[chosen];
                    int bit = bitOf[undoneOp];
                    if (wasOptional) {
                        optional[bit >>> 6] &= ~(1L << bit);
                        relink(optNext, optPrev, ~chosen);
                        optionalPhase = true;
                        o = optNext[~chosen];
                    } else {
                        hash ^= zobrist[undoneOp];
                        mandatoryLeft++;
                        int rank = rankOf[undoneOp];
                        byRank[rank >>> 6] &= ~(1L << rank);
                        completedPrefix = Math.min(completedPrefix, rank);
                        relink(next, prev, returnOfCall[chosen]);
                        relink(next, prev, chosen);
                        optionalPhase = false;
                        candidatePos[depth]++;
                    }
                    state = stateBefore[depth];
                    enabler = enablerBefore[depth];
                } while (forcedAt[depth] && !optionalPhase && candidatePos[depth] >= candidateCount[depth]);
                continue;
            }
            int op = optionalPhase ? opOfOptional[node] : opOfEvent[node];

            RegisterOp candidate = ops.get(op);
            int after = candidate.apply(state);
            if (enabler != NO_ENABLER && candidate.apply(enabler) != RegisterOp.REJECT) {
                after = RegisterOp.REJECT;
            }
            int nextEnabler = candidate.mandatory() ? NO_ENABLER : state;
            if (after != RegisterOp.REJECT) {
                int savedPrefix = completedPrefix;
                int bit = candidate.mandatory() ? rankOf[op] : bitOf[op];
                long[] set = candidate.mandatory() ? byRank : optional;
                set[bit >>> 6] |= 1L << bit;
                while (completedPrefix < mandatoryCount
                        && (byRank[completedPrefix >>> 6] & (1L << completedPrefix)) != 0) {
                    completedPrefix++;
                }
                long newHash = candidate.mandatory() ? hash ^ zobrist[op] : hash;
                Config probe = Config.probe(byRank, completedPrefix, after, nextEnabler, newHash);
                List<long[]> explored = cache.get(probe);
                if (explored != null && anySubset(explored, optional)) {
                    set[bit >>> 6] &= ~(1L << bit);
                    completedPrefix = savedPrefix;
                } else {
                    if (explored == null) {
                        explored = new ArrayList<>(1);
                        cache.put(probe.copy(), explored);
                        cacheWords += probe.length + 10;
                    }
                    explored.add(optional.clone());
                    cacheWords += optional.length + 4;
                    if (cacheWords > budget.maxCacheWords()) {
                        return new Result(Verdict.UNKNOWN, steps,
                                "memory budget of " + budget.maxCacheWords() + " words spent", null);
                    }
                    chosenNode[depth] = optionalPhase ? ~node : node;
                    stateBefore[depth] = state;
                    enablerBefore[depth] = enabler;
                    depth++;
                    enabler = nextEnabler;
                    state = after;
                    hash = newHash;
                    if (candidate.mandatory()) {
                        mandatoryLeft--;
                        bestPrefix = Math.max(bestPrefix, completedPrefix);
                        unlink(next, prev, node);
                        unlink(next, prev, returnOfCall[node]);
                    } else {
                        unlink(optNext, optPrev, node);
                    }
                    optionalPhase = false;
                    enter(depth, state, enabler, candidates, candidateCount, candidatePos, barrierAt, forcedAt);
                    continue;
                }
            }
            if (optionalPhase) {
                o = optNext[o];
            } else {
                candidatePos[depth]++;
            }
        }
    }

    /**
     * Prepares the configuration at {@code depth}: its mandatory candidates (calls before the first
     * completion still in the list) sorted by completion time, and its barrier. When one of them is a
     * forced move — it cannot change the value (a read, a CAS that did not swap) and may go now — it is the
     * only candidate: in any linearization from here it can be moved to the front, since everything that
     * must precede it is already linearized and it changes nothing; if it leads nowhere, neither does this
     * configuration.
     */
    private void enter(int depth, int state, int enabler, int[][] candidates, int[] candidateCount,
                       int[] candidatePos, long[] barrierAt, boolean[] forcedAt) {
        int count = 0;
        int[] buf = candidates[depth];
        int node = next[0];
        for (; node != NIL && isCall[node]; node = next[node]) {
            RegisterOp op = ops.get(opOfEvent[node]);
            boolean preserving = op.kind() == RegisterOp.Kind.READ || op.kind() == RegisterOp.Kind.CAS_NOT_SWAPPED;
            if (preserving && op.apply(state) != RegisterOp.REJECT
                    && (enabler == NO_ENABLER || op.apply(enabler) == RegisterOp.REJECT)) {
                if (buf == null) {
                    buf = new int[4];
                    candidates[depth] = buf;
                }
                buf[0] = node;
                candidateCount[depth] = 1;
                candidatePos[depth] = 0;
                forcedAt[depth] = true;
                barrierAt[depth] = Long.MAX_VALUE; // unused: a forced configuration has no optional phase
                return;
            }
            if (buf == null || count == buf.length) {
                buf = buf == null ? new int[8] : Arrays.copyOf(buf, buf.length * 2);
                candidates[depth] = buf;
            }
            buf[count++] = node;
        }
        barrierAt[depth] = node == NIL ? Long.MAX_VALUE : timeOfEvent[node];
        // Insertion sort by completion time: candidate lists are as short as the concurrency.
        for (int i = 1; i < count; i++) {
            int x = buf[i];
            long cx = ops.get(opOfEvent[x]).complete();
            int j = i - 1;
            while (j >= 0 && ops.get(opOfEvent[buf[j]]).complete() > cx) {
                buf[j + 1] = buf[j];
                j--;
            }
            buf[j + 1] = x;
        }
        candidateCount[depth] = count;
        candidatePos[depth] = 0;
        forcedAt[depth] = false;
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
     * must not stand in for an unrestricted one). The linearized set is kept in completion-rank order and
     * trimmed: every rank below the first one missing is linearized, so only the words from there to the
     * last set bit are stored — a few words even for a key with thousands of operations.
     */
    private static final class Config {
        final long[] words;
        final int from;   // index in words of the first word kept
        final int length; // words kept
        final int firstWord; // the word index in the full bitset that words[from] stands for
        final int state;
        final int enabler;
        final long hash;

        private Config(long[] words, int from, int length, int firstWord, int state, int enabler, long hash) {
            this.words = words;
            this.from = from;
            this.length = length;
            this.firstWord = firstWord;
            this.state = state;
            this.enabler = enabler;
            this.hash = hash;
        }

        /** A key that reads the live bitset: for look-ups only. */
        static Config probe(long[] byRank, int prefix, int state, int enabler, long hash) {
            int first = prefix >>> 6;
            int last = byRank.length - 1;
            while (last >= first && byRank[last] == 0) {
                last--;
            }
            return new Config(byRank, first, Math.max(0, last - first + 1), first, state, enabler, hash);
        }

        /** A key that owns a copy of its words: for storing. */
        Config copy() {
            return new Config(Arrays.copyOfRange(words, from, from + length), 0, length, firstWord, state, enabler,
                    hash);
        }

        @Override
        public int hashCode() {
            long h = (hash * 31 + state) * 31 + enabler;
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Config c) || c.state != state || c.enabler != enabler || c.hash != hash
                    || c.firstWord != firstWord || c.length != length) {
                return false;
            }
            return Arrays.equals(words, from, from + length, c.words, c.from, c.from + length);
        }
    }
}
