package io.kvstore.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pairs the results of two stores that ran the same configuration: the ratio this-store / baseline per
 * configuration, in run order.
 */
public final class Comparison {
  /** One configuration run on both stores. */
  public record Row(RunConfig config, RunResult subject, RunResult baseline) {
    /** Throughput of the subject over the baseline's: above 1 means the subject did more. */
    public double throughputRatio() {
      return subject.throughput() / baseline.throughput();
    }

    /** p99 of the subject over the baseline's: below 1 means the subject's tail is shorter. */
    public double p99Ratio() {
      return subject.latency().p99Ms() / baseline.latency().p99Ms();
    }
  }

  private final String subject;
  private final String baseline;
  private final List<Row> rows;

  private Comparison(String subject, String baseline, List<Row> rows) {
    this.subject = subject;
    this.baseline = baseline;
    this.rows = rows;
  }

  /**
   * Pairs, for each configuration that both ran, the subject's result with the baseline's. Configurations
   * only one store ran are left out.
   */
  public static Comparison of(List<RunResult> results, String subject, String baseline) {
    Map<RunConfig, RunResult> subjects = new LinkedHashMap<>();
    Map<RunConfig, RunResult> baselines = new LinkedHashMap<>();
    List<RunConfig> order = new ArrayList<>();
    for (RunResult r : results) {
      if (!subjects.containsKey(r.config()) && !baselines.containsKey(r.config())) {
        order.add(r.config());
      }
      if (r.store().equals(subject)) {
        subjects.put(r.config(), r);
      } else if (r.store().equals(baseline)) {
        baselines.put(r.config(), r);
      }
    }
    List<Row> rows = new ArrayList<>();
    for (RunConfig c : order) {
      if (subjects.containsKey(c) && baselines.containsKey(c)) {
        rows.add(new Row(c, subjects.get(c), baselines.get(c)));
      }
    }
    return new Comparison(subject, baseline, List.copyOf(rows));
  }

  public String subject() {
    return subject;
  }

  public String baseline() {
    return baseline;
  }

  public List<Row> rows() {
    return rows;
  }

  /** The comparison as a Markdown table. */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    String s = subject;
    String b = baseline;
    sb.append("| workload | in flight | ").append(s).append(" ops/s | ").append(b).append(" ops/s | ratio ")
        .append(s).append('/').append(b).append(" | ").append(s).append(" p50 ms | ").append(b)
        .append(" p50 ms | ").append(s).append(" p99 ms | ").append(b).append(" p99 ms | p99 ratio | ")
        .append(s).append(" errors | ").append(b).append(" errors |\n");
    sb.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (Row r : rows) {
      sb.append("| ").append(r.config().workload().name())
          .append(" | ").append(r.config().inFlight())
          .append(" | ").append(Formats.ops(r.subject().throughput()))
          .append(" | ").append(Formats.ops(r.baseline().throughput()))
          .append(" | ").append(Formats.ratio(r.throughputRatio()))
          .append(" | ").append(Formats.ms(r.subject().latency().p50Ms()))
          .append(" | ").append(Formats.ms(r.baseline().latency().p50Ms()))
          .append(" | ").append(Formats.ms(r.subject().latency().p99Ms()))
          .append(" | ").append(Formats.ms(r.baseline().latency().p99Ms()))
          .append(" | ").append(Formats.ratio(r.p99Ratio()))
          .append(" | ").append(r.subject().errors())
          .append(" | ").append(r.baseline().errors())
          .append(" |\n");
    }
    return sb.toString();
  }
}
