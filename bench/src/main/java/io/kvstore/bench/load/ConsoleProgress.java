package io.kvstore.bench.load;

import java.io.PrintStream;
import java.util.Locale;

/** Prints one line per second of a run: store, configuration, phase, throughput, p99, errors. */
public final class ConsoleProgress implements ProgressListener {
  private final PrintStream out;

  public ConsoleProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public void second(
      String store, RunConfig config, int second, boolean warmup, long ops, long errors, double p99Ms) {
    out.printf(Locale.ROOT, "%-8s %-12s %4ds %-8s %10s ops/s   p99 %9s ms%s%n",
        store, config.label(), second, warmup ? "warm-up" : "", Formats.ops(ops), Formats.ms(p99Ms),
        errors > 0 ? "   errors " + errors : "");
    out.flush();
  }
}
