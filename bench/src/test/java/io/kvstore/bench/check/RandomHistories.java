package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded random register histories that are linearizable by construction: clients issue operations with
 * random overlapping timing against a simulated atomic register per key; each operation takes effect at a
 * random instant inside its interval (an indeterminate one at a random instant after its invocation, or
 * never; a failed one never), and results are computed by applying the effects in the order of those
 * instants. Every written value is unique, which lets the mutations below break a history in ways that are
 * certain to be non-linearizable.
 */
final class RandomHistories {
    /** Shape of the generated histories. */
    record Shape(int clients, int keys, int operations, double infoRate, double failRate, double casRate,
                 double maxLatencyMs) {
    }

    /** A history broken on purpose, and the operations the checker must blame (one of them). */
    record Mutation(String kind, History history, Set<Long> blamable) {
    }

    private RandomHistories() {
    }

    static History valid(long seed, Shape shape) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] clientFree = new long[shape.clients()];
        List<long[]> effects = new ArrayList<>(); // {point, opIndex}
        List<Operation> ops = new ArrayList<>(shape.operations());
        Map<String, List<String>> written = new HashMap<>();
        for (int i = 0; i < shape.operations(); i++) {
            int client = pickEarliest(clientFree, random);
            long invoke = clientFree[client] + (long) (random.nextDouble() * 2e6);
            long latency = (long) (random.nextDouble() * shape.maxLatencyMs() * 1e6) + 1_000;
            if (random.nextDouble() < 0.05) {
                latency *= 10; // a few slow operations overlap many others
            }
            long complete = invoke + latency;
            clientFree[client] = complete + (long) (random.nextDouble() * 1e6);
            String key = "k" + random.nextInt(shape.keys());
            double r = random.nextDouble();
            Outcome outcome = r < shape.infoRate() ? Outcome.INFO
                    : r < shape.infoRate() + shape.failRate() ? Outcome.FAIL : Outcome.OK;
            double t = random.nextDouble();
            String value = "c" + client + "-" + i;
            List<String> keyValues = written.computeIfAbsent(key, k -> new ArrayList<>());
            Operation op;
            if (t < shape.casRate()) {
                String expected = keyValues.isEmpty() || random.nextDouble() < 0.1 ? null
                        : random.nextDouble() < 0.6 ? keyValues.get(keyValues.size() - 1)
                        : keyValues.get(random.nextInt(keyValues.size()));
                op = Operation.cas(i, client, key, expected, value, false, outcome, invoke, complete);
                keyValues.add(value);
            } else if (t < shape.casRate() + 0.4) {
                op = Operation.put(i, client, key, value, outcome, invoke, complete);
                keyValues.add(value);
            } else {
                op = Operation.get(i, client, key, null, outcome, invoke, complete);
            }
            ops.add(op);
            if (outcome == Outcome.OK) {
                effects.add(new long[] {invoke + (long) (random.nextDouble() * (complete - invoke)), i});
            } else if (outcome == Outcome.INFO && random.nextBoolean()) {
                // May land long after the client gave up.
                effects.add(new long[] {invoke + (long) (random.nextDouble() * 3 * (complete - invoke)), i});
            }
        }
        effects.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        Map<String, String> register = new HashMap<>();
        for (long[] effect : effects) {
            int i = (int) effect[1];
            Operation op = ops.get(i);
            String current = register.get(op.key());
            switch (op.type()) {
                case GET -> ops.set(i, op.withValue(current));
                case PUT -> register.put(op.key(), op.value());
                case CAS -> {
                    boolean swap = java.util.Objects.equals(current, op.expected());
                    if (swap) {
                        register.put(op.key(), op.value());
                    }
                    if (op.outcome() == Outcome.OK) {
                        ops.set(i, op.withSwapped(swap));
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        return History.of(ops);
    }

    private static int pickEarliest(long[] clientFree, SplittableRandom random) {
        int best = random.nextInt(clientFree.length);
        for (int c = 0; c < clientFree.length; c++) {
            if (clientFree[c] < clientFree[best]) {
                best = c;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- mutations certain to break a history

    /** Every mutation that applies to {@code history}, each picked at random where there is a choice. */
    static List<Mutation> mutations(History history, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Mutation> out = new ArrayList<>();
        staleRead(history, random).ifPresent(out::add);
        neverWritten(history, random).ifPresent(out::add);
        readAbsentAfterWrite(history, random).ifPresent(out::add);
        casReportedNoSwapButRead(history, random).ifPresent(out::add);
        indeterminateSeenEarly(history, random).ifPresent(out::add);
        return out;
    }

    private static List<Operation> okGets(History h) {
        return h.operations().stream().filter(op -> op.type() == OpType.GET && op.outcome() == Outcome.OK).toList();
    }

    private static boolean okWrite(Operation op) {
        return op.outcome() == Outcome.OK && op.mayHaveWritten();
    }

    /** A get returns a value that an acknowledged later write had overwritten before the get began. */
    static Optional<Mutation> staleRead(History h, SplittableRandom random) {
        List<Mutation> candidates = new ArrayList<>();
        for (Operation g : okGets(h)) {
            for (Operation q : h.operations()) {
                if (q.key().equals(g.key()) && okWrite(q) && q.completeNanos() < g.invokeNanos()) {
                    for (Operation p : h.operations()) {
                        if (p.key().equals(g.key()) && okWrite(p) && p.completeNanos() < q.invokeNanos()) {
                            candidates.add(new Mutation("stale read", replace(h, g.withValue(p.value())),
                                    Set.of(g.id())));
                            break;
                        }
                    }
                }
                if (candidates.size() > 20) {
                    break;
                }
            }
        }
        return pick(candidates, random);
    }

    /** A get returns a value nobody wrote. */
    static Optional<Mutation> neverWritten(History h, SplittableRandom random) {
        List<Operation> gets = okGets(h);
        if (gets.isEmpty()) {
            return Optional.empty();
        }
        Operation g = gets.get(random.nextInt(gets.size()));
        return Optional.of(new Mutation("never written", replace(h, g.withValue("never-written")), Set.of(g.id())));
    }

    /** A get returns the key absent after an acknowledged write completed: a lost write. */
    static Optional<Mutation> readAbsentAfterWrite(History h, SplittableRandom random) {
        List<Mutation> candidates = new ArrayList<>();
        for (Operation g : okGets(h)) {
            boolean written = h.operations().stream().anyMatch(
                    w -> w.key().equals(g.key()) && okWrite(w) && w.completeNanos() < g.invokeNanos());
            if (written) {
                candidates.add(new Mutation("lost write", replace(h, g.withValue(null)), Set.of(g.id())));
            }
        }
        return pick(candidates, random);
    }

    /**
     * A CAS that swapped reports that it did not, though its value was read. By the first reader's
     * completion the history is impossible. Blamable: any OK operation on the key completing by then — the
     * CAS itself, a reader, a CAS whose "no swap" lost its explanation, or one that saw a reader's value
     * (even a still-running CAS that reads it is then known not to have swapped, so cuts before the
     * mutated CAS completes change too).
     */
    static Optional<Mutation> casReportedNoSwapButRead(History h, SplittableRandom random) {
        List<Mutation> candidates = new ArrayList<>();
        for (Operation c : h.operations()) {
            if (c.type() != OpType.CAS || !c.swapped()) {
                continue;
            }
            long firstReader = Long.MAX_VALUE;
            for (Operation o : h.operations()) {
                boolean read = o.type() == OpType.GET && o.outcome() == Outcome.OK && c.value().equals(o.value());
                boolean swappedFrom = o.type() == OpType.CAS && o.swapped() && c.value().equals(o.expected());
                if (o.key().equals(c.key()) && (read || swappedFrom)) {
                    firstReader = Math.min(firstReader, o.completeNanos());
                }
            }
            if (firstReader == Long.MAX_VALUE) {
                continue;
            }
            long to = firstReader;
            Set<Long> blamable = new java.util.HashSet<>();
            for (Operation o : h.operations()) {
                if (o.key().equals(c.key()) && o.outcome() == Outcome.OK && o.completeNanos() <= to) {
                    blamable.add(o.id());
                }
            }
            candidates.add(new Mutation("cas both swapped and not", replace(h, c.withSwapped(false)),
                    Set.copyOf(blamable)));
        }
        return pick(candidates, random);
    }

    /** A get returns the value of an indeterminate write that was invoked only after the get completed. */
    static Optional<Mutation> indeterminateSeenEarly(History h, SplittableRandom random) {
        List<Mutation> candidates = new ArrayList<>();
        for (Operation w : h.operations()) {
            if (w.outcome() != Outcome.INFO || !w.type().writesRegister()) {
                continue;
            }
            for (Operation g : okGets(h)) {
                if (g.key().equals(w.key()) && g.completeNanos() < w.invokeNanos()) {
                    candidates.add(new Mutation("indeterminate write seen before its invocation",
                            replace(h, g.withValue(w.value())), Set.of(g.id())));
                    break;
                }
            }
        }
        return pick(candidates, random);
    }

    private static Optional<Mutation> pick(List<Mutation> candidates, SplittableRandom random) {
        return candidates.isEmpty() ? Optional.empty()
                : Optional.of(candidates.get(random.nextInt(candidates.size())));
    }

    private static History replace(History h, Operation changed) {
        List<Operation> ops = new ArrayList<>(h.operations());
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).id() == changed.id()) {
                ops.set(i, changed);
            }
        }
        return History.of(ops);
    }
}
