package io.kvstore.bench.check;

import java.util.List;
import java.util.Map;

/**
 * What {@link LockChecker} found for one lock.
 *
 * @param lock           the lock's name
 * @param finalRead      the read of the guarded writes the check used, or null when none succeeded
 * @param acquired       acknowledged acquires
 * @param acquireUnknown acquires of unknown outcome (their holders never wrote)
 * @param tokens         distinct tokens acknowledged
 * @param maxToken       the largest token acknowledged (0: none)
 * @param writesOk       acknowledged guarded writes
 * @param writesRefused  guarded writes the store refused (a newer holder existed)
 * @param writesUnknown  guarded writes of unknown outcome
 * @param unknownLanded  of those, how many the final read found (they applied)
 * @param releases       acknowledged releases
 * @param anomalies      each anomaly described (at most {@link LockChecker#MAX_PER_KIND} per kind)
 * @param counts         anomalies per kind, exact
 */
public record LockKeyResult(String lock, Operation finalRead, int acquired, int acquireUnknown, int tokens,
                            long maxToken, int writesOk, int writesRefused, int writesUnknown, int unknownLanded,
                            int releases, List<LockChecker.Anomaly> anomalies, Map<LockChecker.Kind, Integer> counts) {

    public LockKeyResult {
        anomalies = List.copyOf(anomalies);
        counts = Map.copyOf(counts);
    }

    /** Invalid with any anomaly; else unknown when writes were made and no final read could check them. */
    public Verdict verdict() {
        if (!anomalies.isEmpty()) {
            return Verdict.INVALID;
        }
        return finalRead == null && writesOk + writesUnknown > 0 ? Verdict.UNKNOWN : Verdict.VALID;
    }

    /** Anomalies of this kind (exact count). */
    public int count(LockChecker.Kind kind) {
        return counts.getOrDefault(kind, 0);
    }
}
