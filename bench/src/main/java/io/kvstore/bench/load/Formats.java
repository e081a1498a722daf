package io.kvstore.bench.load;

import java.util.Locale;

/** Number formats shared by the reports: one place so Markdown, CSV and console agree. */
final class Formats {
  private Formats() {}

  /** "12,345" */
  static String ops(double opsPerSecond) {
    return String.format(Locale.ROOT, "%,.0f", opsPerSecond);
  }

  /** "0.412" ms with three significant decimals below 10 ms, fewer above. */
  static String ms(double ms) {
    if (Double.isNaN(ms)) {
      return "-";
    }
    if (ms < 10) {
      return String.format(Locale.ROOT, "%.3f", ms);
    }
    return ms < 100 ? String.format(Locale.ROOT, "%.2f", ms) : String.format(Locale.ROOT, "%.1f", ms);
  }

  /** "2.41×" or "-" when undefined. */
  static String ratio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "-" : String.format(Locale.ROOT, "%.2f×", r);
  }

  /** A plain decimal for CSV: dot separator, no grouping. */
  static String plain(double v, int decimals) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /** "45%" or "-". */
  static String percent(double share) {
    return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.0f%%", share * 100);
  }
}
