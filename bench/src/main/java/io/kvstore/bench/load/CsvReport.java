package io.kvstore.bench.load;

import java.util.List;

/** One CSV row per store and configuration (RFC 4180: comma-separated, quoted where needed). */
public final class CsvReport {
  static final List<String> HEADER = List.of(
      "store", "workload", "key_distribution", "keys", "value_bytes", "consistency", "clients", "in_flight",
      "warmup_s", "measured_s", "operations", "errors", "cas_failed", "ops_per_s", "mean_ms", "p50_ms",
      "p95_ms", "p99_ms", "p999_ms", "max_ms", "read_p99_ms", "update_p99_ms", "cas_p99_ms",
      "generator_cpu_cores", "generator_cpu_us_per_op", "machine_cpu_busy", "driver");

  private CsvReport() {}

  public static String render(List<RunResult> results) {
    StringBuilder sb = new StringBuilder(String.join(",", HEADER)).append("\r\n");
    for (RunResult r : results) {
      LatencySummary l = r.latency();
      List<String> row = List.of(
          r.store(),
          r.config().workload().name(),
          r.keyDistribution(),
          Integer.toString(r.keyCount()),
          Integer.toString(r.valueSize()),
          r.config().consistency().label(),
          Integer.toString(r.clients()),
          Integer.toString(r.config().inFlight()),
          Long.toString(r.config().warmup().toSeconds()),
          Formats.plain(r.measuredSeconds(), 3),
          Long.toString(r.operations()),
          Long.toString(r.errors()),
          Long.toString(r.casFailures()),
          Formats.plain(r.throughput(), 1),
          Formats.plain(l.meanMs(), 3),
          Formats.plain(l.p50Ms(), 3),
          Formats.plain(l.p95Ms(), 3),
          Formats.plain(l.p99Ms(), 3),
          Formats.plain(l.p999Ms(), 3),
          Formats.plain(l.maxMs(), 3),
          p99(r, OpType.READ),
          p99(r, OpType.UPDATE),
          p99(r, OpType.CAS),
          Formats.plain(r.generatorCpuCores(), 3),
          Formats.plain(r.generatorCpuMicrosPerOp(), 2),
          Formats.plain(r.machineCpuBusy(), 3),
          r.driver());
      for (int i = 0; i < row.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(quote(row.get(i)));
      }
      sb.append("\r\n");
    }
    return sb.toString();
  }

  private static String p99(RunResult r, OpType type) {
    LatencySummary s = r.latencyByType().get(type);
    return s == null ? "" : Formats.plain(s.p99Ms(), 3);
  }

  static String quote(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0
        && field.indexOf('\r') < 0) {
      return field;
    }
    return '"' + field.replace("\"", "\"\"") + '"';
  }
}
