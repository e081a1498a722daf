package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a set workload: clients add unique elements to sets concurrently (through faults), then, after the
 * faults heal, one linearizable read of each set must contain every acknowledged element — the test that
 * catches lost writes (as Jepsen's set workload does).
 *
 * <p>Per set (key), against the successful {@link OpType#READ} invoked last:
 * <ul>
 *   <li>an ok add that completed before that read began must be present, else it is <b>lost</b>;</li>
 *   <li>an ok add still running when the read began may be present or not;</li>
 *   <li>an info add may be present or not (counted both ways);</li>
 *   <li>a failed add must not be present; an element nobody added, an element returned twice, or an
 *   element whose add began only after the read completed, are anomalies too.</li>
 * </ul>
 * Elements must be unique per set; register operations are rejected. Stateless and thread-safe.
 */
public final class SetChecker {

    /** Checks every set in {@code history}. */
    public SetCheckResult check(History history) {
        long started = System.nanoTime();
        Map<String, List<Operation>> byKey = history.byKey();
        List<SetKeyResult> results = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> entry : byKey.entrySet()) {
            results.add(checkSet(entry.getKey(), entry.getValue()));
        }
        return new SetCheckResult(results, history.size(), history.count(Outcome.OK), history.count(Outcome.FAIL),
                history.count(Outcome.INFO), history.originNanos(), System.nanoTime() - started);
    }

    /** Checks one set's operations. */
    public SetKeyResult checkSet(String key, List<Operation> ops) {
        Operation finalRead = null;
        Map<String, Operation> addOf = new LinkedHashMap<>();
        for (Operation op : ops) {
            switch (op.type()) {
                case ADD -> {
                    Operation previous = addOf.put(op.value(), op);
                    if (previous != null) {
                        throw new IllegalArgumentException("element " + Words.value(op.value()) + " of set "
                                + Words.value(key) + " is added twice (operations " + previous.id() + " and "
                                + op.id() + "); elements must be unique");
                    }
                }
                case READ -> {
                    if (op.outcome() == Outcome.OK
                            && (finalRead == null || op.invokeNanos() > finalRead.invokeNanos())) {
                        finalRead = op;
                    }
                }
                default -> throw new IllegalArgumentException("operation " + op.id() + " is not a set operation ("
                        + op.type().jsonName() + "); use LinearizabilityChecker or LockChecker for register or lock"
                        + " histories");
            }
        }
        int acknowledged = (int) addOf.values().stream().filter(a -> a.outcome() == Outcome.OK).count();
        if (finalRead == null) {
            return new SetKeyResult(key, null, acknowledged, List.of(), List.of(), List.of(), List.of(), List.of(),
                    0, 0, 0);
        }
        Set<String> present = new LinkedHashSet<>();
        Set<String> duplicated = new LinkedHashSet<>();
        for (String element : finalRead.elements()) {
            if (!present.add(element)) {
                duplicated.add(element);
            }
        }
        List<Operation> lost = new ArrayList<>();
        List<Operation> failedButPresent = new ArrayList<>();
        List<Operation> presentBeforeAdded = new ArrayList<>();
        int infoPresent = 0;
        int infoAbsent = 0;
        int concurrentAbsent = 0;
        for (Operation add : addOf.values()) {
            boolean isPresent = present.contains(add.value());
            if (isPresent && add.invokeNanos() > finalRead.completeNanos()) {
                presentBeforeAdded.add(add);
                continue;
            }
            switch (add.outcome()) {
                case OK -> {
                    if (!isPresent) {
                        if (add.completeNanos() < finalRead.invokeNanos()) {
                            lost.add(add);
                        } else {
                            concurrentAbsent++;
                        }
                    }
                }
                case FAIL -> {
                    if (isPresent) {
                        failedButPresent.add(add);
                    }
                }
                case INFO -> {
                    if (isPresent) {
                        infoPresent++;
                    } else {
                        infoAbsent++;
                    }
                }
            }
        }
        List<String> unexpected = new ArrayList<>();
        Set<String> added = new HashSet<>(addOf.keySet());
        for (String element : present) {
            if (!added.contains(element)) {
                unexpected.add(element);
            }
        }
        return new SetKeyResult(key, finalRead, acknowledged, lost, failedButPresent, unexpected,
                new ArrayList<>(duplicated), presentBeforeAdded, infoPresent, infoAbsent, concurrentAbsent);
    }
}
