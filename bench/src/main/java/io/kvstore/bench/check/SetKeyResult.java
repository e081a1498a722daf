package io.kvstore.bench.check;

import java.util.List;

/**
 * The set-workload verdict for one set (one key).
 *
 * @param key                the set's name
 * @param finalRead          the read checked: the successful read invoked last; null when there was none
 * @param acknowledged       adds with outcome ok
 * @param lost               ok adds that completed before the final read began, yet are missing: lost writes
 * @param failedButPresent   adds with outcome fail whose element was read: a "failed" write took effect
 * @param unexpected         elements read that no add ever added
 * @param duplicated         elements the read returned more than once
 * @param presentBeforeAdded adds invoked only after the final read completed, whose element it returned
 * @param indeterminatePresent adds with outcome info whose element was read (allowed)
 * @param indeterminateAbsent  adds with outcome info whose element was not read (allowed)
 * @param concurrentAbsent   ok adds still running when the final read began, not read (allowed)
 */
public record SetKeyResult(String key, Operation finalRead, int acknowledged, List<Operation> lost,
                           List<Operation> failedButPresent, List<String> unexpected, List<String> duplicated,
                           List<Operation> presentBeforeAdded, int indeterminatePresent, int indeterminateAbsent,
                           int concurrentAbsent) {
    public SetKeyResult {
        lost = List.copyOf(lost);
        failedButPresent = List.copyOf(failedButPresent);
        unexpected = List.copyOf(unexpected);
        duplicated = List.copyOf(duplicated);
        presentBeforeAdded = List.copyOf(presentBeforeAdded);
    }

    /** Invalid on any anomaly, unknown without a final read, else valid. */
    public Verdict verdict() {
        if (!lost.isEmpty() || !failedButPresent.isEmpty() || !unexpected.isEmpty() || !duplicated.isEmpty()
                || !presentBeforeAdded.isEmpty()) {
            return Verdict.INVALID;
        }
        return finalRead == null ? Verdict.UNKNOWN : Verdict.VALID;
    }
}
