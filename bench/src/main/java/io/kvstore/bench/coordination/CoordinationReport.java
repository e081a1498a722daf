package io.kvstore.bench.coordination;

import io.kvstore.bench.load.LatencySummary;
import java.util.List;
import java.util.Locale;

/** The Markdown report of a coordination run: context lines, then one table per measurement that ran. */
final class CoordinationReport {
  /** Issue 9's targets. */
  static final double TARGET_PAIRS_PER_SECOND = 5_000;
  static final double TARGET_WATCH_P99_MS = 20;

  private CoordinationReport() {
  }

  static String render(List<String> context, List<UncontendedLocks.Result> uncontended, LockHandOff.Result handOff,
                       List<WatchLatency.Result> watches, NearCacheReads.Result near) {
    StringBuilder b = new StringBuilder("# Leases, locks, watches and the near-cache: benchmark\n\n");
    for (String line : context) {
      b.append("- ").append(line).append('\n');
    }
    if (!uncontended.isEmpty()) {
      b.append("\n## Uncontended acquire+release\n\n")
          .append("Each slot: its own lock and lease; acquire then release, again and again (closed loop). Side by"
              + " side, the same loop with two plain puts per pair (each slot its own key), run right after.\n\n")
          .append("| pair | in flight | pairs | pairs/s | p50 ms | p99 ms | max ms | errors |\n")
          .append("|---|--:|--:|--:|--:|--:|--:|--:|\n");
      double best = 0;
      for (UncontendedLocks.Result r : uncontended) {
        LatencySummary l = r.pairLatency();
        b.append(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %s | %s | %s | %d |%n", r.pair(), r.inFlight(),
            r.pairs(), r.pairsPerSecond(), ms(l.p50Ms()), ms(l.p99Ms()), ms(l.maxMs()), r.errors()));
        if (r.pair().equals("acquire+release")) {
          best = Math.max(best, r.pairsPerSecond());
        }
      }
      b.append(String.format(Locale.ROOT, "%nTarget ≥ %,.0f pairs/s: %s (best %,.0f).%n", TARGET_PAIRS_PER_SECOND,
          best >= TARGET_PAIRS_PER_SECOND ? "met" : "missed", best));
      uncontended.stream().filter(r -> r.firstError() != null)
          .forEach(r -> b.append("\nFirst error at ").append(r.inFlight()).append(" in flight: ")
              .append(r.firstError()).append('\n'));
    }
    if (handOff != null) {
      LatencySummary l = handOff.latency();
      b.append("\n## Contended hand-off\n\n")
          .append("One lock, each waiter with its own lease; the holder releases at once and queues again. Latency:"
              + " release sent → the next holder's acquire returned.\n\n")
          .append("| waiters | hand-offs | hand-offs/s | p50 ms | p99 ms | max ms | errors |\n")
          .append("|--:|--:|--:|--:|--:|--:|--:|\n")
          .append(String.format(Locale.ROOT, "| %d | %d | %.0f | %s | %s | %s | %d |%n", handOff.waiters(),
              handOff.handOffs(), handOff.handOffsPerSecond(), ms(l.p50Ms()), ms(l.p99Ms()), ms(l.maxMs()),
              handOff.errors()));
      if (handOff.firstError() != null) {
        b.append("\nFirst error: ").append(handOff.firstError()).append('\n');
      }
    }
    if (!watches.isEmpty()) {
      b.append("\n## Watch delivery\n\n")
          .append("A prefix watch on one shard; writers put new keys under it. Latency: put acknowledged → event"
              + " received (an event that arrived first counts as 0).\n\n")
          .append("| watched node | writers | writes | p50 ms | p99 ms | max ms | event before the ack | missing |"
              + " errors |\n")
          .append("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
      double worst = 0;
      for (WatchLatency.Result r : watches) {
        LatencySummary l = r.latency();
        b.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %d | %d | %d |%n", r.watchedNode(),
            r.writers(), r.writes(), ms(l.p50Ms()), ms(l.p99Ms()), ms(l.maxMs()), r.beforeAck(), r.missing(),
            r.errors()));
        worst = Math.max(worst, l.p99Ms());
      }
      b.append(String.format(Locale.ROOT, "%nTarget p99 < %.0f ms: %s (worst p99 %s ms).%n", TARGET_WATCH_P99_MS,
          worst < TARGET_WATCH_P99_MS ? "met" : "missed", ms(worst)));
      watches.stream().filter(r -> r.firstError() != null)
          .forEach(r -> b.append("\nFirst error (").append(r.watchedNode()).append("): ").append(r.firstError())
              .append('\n'));
    }
    if (near != null) {
      b.append("\n## Near-cache reads\n\n")
          .append(String.format(Locale.ROOT, "%d keys of 256 bytes, %d threads, one read at a time each, keys"
              + " chosen uniformly.%n%n", near.keys(), near.threads()))
          .append("| path | reads | reads/s | p50 ms | p99 ms | max ms | cache hits | errors |\n")
          .append("|---|--:|--:|--:|--:|--:|--:|--:|\n");
      for (NearCacheReads.Row r : near.rows()) {
        LatencySummary l = r.latency();
        b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %s | %s | %s | %s | %d |%n", r.path(), r.reads(),
            r.readsPerSecond(), ms(l.p50Ms()), ms(l.p99Ms()), ms(l.maxMs()),
            Double.isNaN(r.hitRatio()) ? "—" : String.format(Locale.ROOT, "%.1f%%", 100 * r.hitRatio()), r.errors()));
      }
      List<NearCacheReads.Row> rows = near.rows();
      if (rows.size() > 1 && rows.get(1).readsPerSecond() > 0) {
        b.append(String.format(Locale.ROOT, "%nNear-cache / cluster (STALE): %.1f× the reads per second.%n",
            rows.get(0).readsPerSecond() / rows.get(1).readsPerSecond()));
      }
      rows.stream().filter(r -> r.firstError() != null)
          .forEach(r -> b.append("\nFirst error (").append(r.path()).append("): ").append(r.firstError()).append('\n'));
    }
    return b.toString();
  }

  /** Milliseconds with three significant digits (sub-millisecond near-cache reads stay readable). */
  static String ms(double v) {
    if (v > 0 && v < 1) {
      return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).toPlainString();
    }
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (v >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return "0";
  }
}
