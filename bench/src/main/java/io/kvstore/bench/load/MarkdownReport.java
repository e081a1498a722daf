package io.kvstore.bench.load;

import java.util.List;

/**
 * The run's report as Markdown: where and how it ran, one row per store and configuration, and, when two
 * stores ran the same configurations, their comparison.
 */
public final class MarkdownReport {
  private MarkdownReport() {}

  /**
   * @param context lines printed above the tables as a bullet list (machine, date, command, notes)
   * @param comparison null when only one store ran
   */
  public static String render(List<String> context, List<RunResult> results, Comparison comparison) {
    StringBuilder sb = new StringBuilder("# Load generator results\n\n");
    for (String line : context) {
      sb.append("- ").append(escape(line)).append('\n');
    }
    if (!results.isEmpty()) {
      RunResult first = results.get(0);
      sb.append("- keys: ").append(first.keyCount()).append(", ").append(first.keyDistribution())
          .append("; values: ").append(first.valueSize()).append(" bytes; reads: ")
          .append(first.config().consistency().label()).append('\n');
    }
    results.stream().map(r -> r.store() + ": " + r.driver()).distinct()
        .forEach(d -> sb.append("- client: ").append(escape(d)).append('\n'));
    if (comparison != null && !comparison.rows().isEmpty()) {
      sb.append("\n## ").append(comparison.subject()).append(" vs ").append(comparison.baseline())
          .append("\n\n").append(comparison.toMarkdown());
    }
    sb.append("\n## All runs\n\n");
    sb.append("| store | workload | in flight | clients | ops/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms "
        + "| errors | CAS failed | generator CPU (cores) | generator µs/op | machine CPU busy |\n");
    sb.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (RunResult r : results) {
      LatencySummary l = r.latency();
      sb.append("| ").append(escape(r.store()))
          .append(" | ").append(r.config().workload().name())
          .append(" | ").append(r.config().inFlight())
          .append(" | ").append(r.clients())
          .append(" | ").append(Formats.ops(r.throughput()))
          .append(" | ").append(Formats.ms(l.p50Ms()))
          .append(" | ").append(Formats.ms(l.p95Ms()))
          .append(" | ").append(Formats.ms(l.p99Ms()))
          .append(" | ").append(Formats.ms(l.p999Ms()))
          .append(" | ").append(Formats.ms(l.maxMs()))
          .append(" | ").append(r.errors())
          .append(" | ").append(r.casFailures())
          .append(" | ").append(Formats.plain(r.generatorCpuCores(), 2))
          .append(" | ").append(Formats.plain(r.generatorCpuMicrosPerOp(), 1))
          .append(" | ").append(Formats.percent(r.machineCpuBusy()))
          .append(" |\n");
    }
    return sb.toString();
  }

  /** Keeps table cells and list items intact: pipes and line breaks would end them. */
  static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
