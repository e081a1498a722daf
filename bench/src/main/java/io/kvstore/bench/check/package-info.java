/**
 * Verification tooling that needs no cluster: the history format, the checkers, and the report.
 *
 * <h2>Recording</h2>
 * {@link io.kvstore.bench.check.HistoryRecorder} (thread-safe) records each client operation: invoke just
 * before sending, then {@code ok…}, {@code fail} (definitely no effect) or {@code info} (unknown — e.g. a
 * timeout; it may take effect at any later time). {@link io.kvstore.bench.check.HistoryRecorder#now()} is the
 * clock to time {@link io.kvstore.bench.check.FaultWindow}s with.
 *
 * <h2>Checking</h2>
 * <ul>
 *   <li>{@link io.kvstore.bench.check.LinearizabilityChecker#check} — registers (get / put /
 *   compare-and-swap) on many keys: per-key Wing–Gong/Lowe search with memoisation, bounded by a
 *   {@link io.kvstore.bench.check.SearchBudget}; each invalid key carries a
 *   {@link io.kvstore.bench.check.FailingWindow} in words.</li>
 *   <li>{@link io.kvstore.bench.check.SetChecker#check} — the set workload: every acknowledged add must be in
 *   the final read.</li>
 *   <li>{@link io.kvstore.bench.check.LockChecker#check} — the lock workload: fencing tokens grow with each
 *   new holder, no write with a stale token applied or was acknowledged, holders' writes do not interleave
 *   in the store's order, and the final read agrees with what clients were told.</li>
 * </ul>
 * All return a {@link io.kvstore.bench.check.CheckResult} with a {@link io.kvstore.bench.check.Verdict}
 * (valid / invalid / unknown).
 *
 * <h2>Reporting</h2>
 * {@link io.kvstore.bench.check.ReportWriter#write} writes a run folder: {@code history.jsonl} (format in
 * {@link io.kvstore.bench.check.History}), {@code faults.jsonl}, {@code verdict.txt} (first line is the
 * verdict) and a self-contained {@code report.html}. {@link io.kvstore.bench.check.CheckMain} re-checks a
 * folder from the command line (exit 0 valid, 1 invalid, 2 unknown).
 *
 * <pre>{@code
 * HistoryRecorder rec = new HistoryRecorder();
 * // ... clients record while faults run; the nemesis adds new FaultWindow(name, start, rec.now()) ...
 * History history = rec.history();
 * CheckResult result = new LinearizabilityChecker().check(history);   // or new SetChecker().check(history)
 * ReportWriter.write(runDir, "chaos register seed 42", history, faults, result);
 * assert result.verdict() == Verdict.VALID : ReportWriter.verdictText(result);
 * }</pre>
 */
package io.kvstore.bench.check;
