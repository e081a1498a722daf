package io.kvstore.bench.chaos;

import io.kvstore.bench.check.Verdict;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What one chaos run found.
 *
 * @param verdict    the checker's verdict on the history
 * @param operations operations in the history (ok + fail + info)
 * @param ok         acknowledged operations
 * @param failed     operations that certainly had no effect
 * @param info       operations of unknown outcome (timed out, connection lost)
 * @param faults     faults injected, per kind
 * @param snapshotsInstalled snapshots followers installed from their leaders during the run
 * @param anomalies  the checker's findings (empty when valid)
 * @param network    which network ran: namespaces with packet filters, or loopback
 * @param folder     the run folder
 */
record ChaosResult(Verdict verdict, long operations, long ok, long failed, long info, Map<FaultKind, Integer> faults,
                   long snapshotsInstalled, List<String> anomalies, String network, Path folder) {

  int faultCount() {
    return faults.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The one-line summary printed at the end of a run. */
  String summary() {
    return String.format("%s: %,d operations (%,d ok, %,d failed, %,d unknown), %d faults %s, %d snapshots"
            + " installed, %d anomalies — %s", verdict.word(), operations, ok, failed, info, faultCount(), faults,
        snapshotsInstalled, anomalies.size(), folder);
  }
}
