package io.kvstore.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A self-contained SVG chart of a run: throughput (top panel) and p99 latency (bottom panel) per
 * configuration, one bar per store, with value labels. No scripts, fonts or external references, so it
 * renders the same in a browser, an image viewer, or a repository's file view.
 */
public final class SvgChart {
  private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};
  private static final int LEFT = 78;
  private static final int RIGHT = 24;
  private static final int BAR = 30;
  private static final int GROUP_GAP = 26;
  private static final int PANEL_HEIGHT = 210;
  private static final int TITLE_HEIGHT = 96;
  private static final int AXIS_LABELS = 44;
  private static final int MIN_GROUP = 76;

  private SvgChart() {}

  /**
   * @param title the chart's heading
   * @param subtitle a smaller line under it (what was run: keys, values, consistency)
   */
  public static String render(String title, String subtitle, List<RunResult> results) {
    List<String> stores = new ArrayList<>();
    Map<String, Map<String, RunResult>> byConfig = new LinkedHashMap<>(); // label -> store -> result
    for (RunResult r : results) {
      if (!stores.contains(r.store())) {
        stores.add(r.store());
      }
      byConfig.computeIfAbsent(r.config().label(), k -> new LinkedHashMap<>()).put(r.store(), r);
    }
    int groups = Math.max(byConfig.size(), 1);
    int groupWidth = groupWidth(stores.size());
    int textWidth = (int) Math.max(title.length() * 9.0, subtitle.length() * 6.6) + 40;
    int width = Math.max(Math.max(520, textWidth), LEFT + RIGHT + groups * groupWidth);
    groupWidth = (width - LEFT - RIGHT) / groups; // spread the groups over the whole width
    int panel2Top = TITLE_HEIGHT + PANEL_HEIGHT + AXIS_LABELS + 28;
    int height = panel2Top + PANEL_HEIGHT + AXIS_LABELS + 10;

    StringBuilder sb = new StringBuilder();
    sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\" font-size=\"12\">\n",
        width, height, width, height));
    sb.append(String.format(Locale.ROOT,
        "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height));
    text(sb, width / 2.0, 22, "middle", 15, "bold", title);
    text(sb, width / 2.0, 40, "middle", 11, "normal", subtitle);

    // Legend.
    double lx = LEFT;
    for (int i = 0; i < stores.size(); i++) {
      sb.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"50\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, colour(i)));
      text(sb, lx + 17, 60.5, "start", 12, "normal", stores.get(i));
      lx += 30 + 7.5 * stores.get(i).length();
    }

    panel(sb, TITLE_HEIGHT, width, groupWidth, "throughput (ops/s)", stores, byConfig, RunResult::throughput,
        true);
    panel(sb, panel2Top, width, groupWidth, "p99 latency (ms)", stores, byConfig, r -> r.latency().p99Ms(),
        false);
    sb.append("</svg>\n");
    return sb.toString();
  }

  private static void panel(
      StringBuilder sb, int top, int width, int groupWidth, String label, List<String> stores,
      Map<String, Map<String, RunResult>> byConfig, ToDoubleFunction<RunResult> value, boolean isOps) {
    double max = 0;
    for (Map<String, RunResult> m : byConfig.values()) {
      for (RunResult r : m.values()) {
        max = Math.max(max, value.applyAsDouble(r));
      }
    }
    double step = niceStep(max > 0 ? max / 5 : 1);
    double axisMax = Math.max(step, Math.ceil(max / step) * step);
    int bottom = top + PANEL_HEIGHT;
    text(sb, LEFT - 6, top - 8, "start", 12, "bold", label);
    // Grid lines and tick labels.
    for (double t = 0; t <= axisMax + step / 2; t += step) {
      double y = bottom - t / axisMax * PANEL_HEIGHT;
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>\n",
          LEFT, y, width - RIGHT, y));
      text(sb, LEFT - 6, y + 4, "end", 11, "normal", isOps ? compact(t) : trimMs(t));
    }
    sb.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444444\" stroke-width=\"1\"/>\n",
        LEFT, bottom, width - RIGHT, bottom));
    sb.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444444\" stroke-width=\"1\"/>\n",
        LEFT, top, LEFT, bottom));
    int g = 0;
    for (Map.Entry<String, Map<String, RunResult>> e : byConfig.entrySet()) {
      double gx = LEFT + g * groupWidth + (groupWidth - stores.size() * BAR) / 2.0;
      for (int s = 0; s < stores.size(); s++) {
        RunResult r = e.getValue().get(stores.get(s));
        if (r == null) {
          continue;
        }
        double v = value.applyAsDouble(r);
        double h = axisMax > 0 ? v / axisMax * PANEL_HEIGHT : 0;
        double x = gx + s * BAR;
        sb.append(String.format(Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
                + "<title>%s %s: %s</title></rect>\n",
            x + 2, bottom - h, BAR - 4, h, colour(s), escape(r.store()), escape(e.getKey()),
            escape(isOps ? Formats.ops(v) + " ops/s" : Formats.ms(v) + " ms")));
        text(sb, x + BAR / 2.0, bottom - h - 4, "middle", 10, "normal", isOps ? compact(v) : Formats.ms(v));
      }
      // "W if=128" on two lines: the workload, then the in-flight count.
      String[] parts = e.getKey().split(" ", 2);
      double cx = gx + stores.size() * BAR / 2.0;
      text(sb, cx, bottom + 16, "middle", 11, "bold", parts[0]);
      if (parts.length > 1) {
        text(sb, cx, bottom + 30, "middle", 11, "normal", parts[1]);
      }
      g++;
    }
  }

  private static int groupWidth(int stores) {
    return Math.max(MIN_GROUP, Math.max(stores, 1) * BAR + GROUP_GAP);
  }

  private static void text(
      StringBuilder sb, double x, double y, String anchor, int size, String weight, String s) {
    sb.append(String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" font-weight=\"%s\" fill=\"#222222\">"
            + "%s</text>\n",
        x, y, anchor, size, weight, escape(s)));
  }

  private static String colour(int i) {
    return COLOURS[i % COLOURS.length];
  }

  /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
  static double niceStep(double raw) {
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= raw) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** "950", "12.3k", "1.2M". */
  static String compact(double v) {
    if (v >= 1e6) {
      return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }
    if (v >= 1e4) {
      return String.format(Locale.ROOT, "%.0fk", v / 1e3);
    }
    if (v >= 1e3) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String trimMs(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : Formats.ms(v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
