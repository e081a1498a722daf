package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The report's main picture, as inline SVG: one mark per operation at (invocation time, latency), latency on
 * a log scale; colour by outcome (ok green, fail red, info amber), circles for reads and squares for
 * writes; fault windows shaded and labelled; operations named by the findings ringed.
 */
final class LatencyChart {
    static final String OK_COLOUR = "#2e7d32";
    static final String FAIL_COLOUR = "#c62828";
    static final String INFO_COLOUR = "#f9a825";
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 440;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 45;
    private static final int LABEL_LANE = 14;
    /** Above this many operations, dots lose their hover text to keep the file small. */
    private static final int MAX_TITLED = 20_000;

    private LatencyChart() {
    }

    static String svg(History history, List<FaultWindow> faults, Set<Long> flagged) {
        long origin = history.originNanos();
        long end = Math.max(history.endNanos(), faults.stream().mapToLong(FaultWindow::endNanos).max().orElse(0));
        double span = Math.max(1, end - origin);
        long minLat = Long.MAX_VALUE;
        long maxLat = 1;
        for (Operation op : history.operations()) {
            minLat = Math.min(minLat, Math.max(1_000, op.latencyNanos()));
            maxLat = Math.max(maxLat, op.latencyNanos());
        }
        if (minLat == Long.MAX_VALUE) {
            minLat = 1_000;
        }
        // Whole decades, so the axis reads 0.1 ms, 1 ms, 10 ms ...
        double lo = Math.floor(Math.log10(minLat));
        double hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(maxLat, 1_000))));
        int laneCount = 0;
        List<int[]> lanes = new ArrayList<>(); // per fault: {lane}
        List<Double> laneEnds = new ArrayList<>();
        for (FaultWindow f : faults) {
            double x = x(f.startNanos(), origin, span);
            double labelEnd = x + 7 * f.name().length() + 8;
            int lane = 0;
            while (lane < laneEnds.size() && laneEnds.get(lane) > x) {
                lane++;
            }
            if (lane == laneEnds.size()) {
                laneEnds.add(labelEnd);
            } else {
                laneEnds.set(lane, labelEnd);
            }
            lanes.add(new int[] {lane});
            laneCount = Math.max(laneCount, lane + 1);
        }
        int top = TOP + laneCount * LABEL_LANE;
        int height = HEIGHT + laneCount * LABEL_LANE;
        int plotBottom = height - BOTTOM;

        StringBuilder s = new StringBuilder(64 + history.size() * 120);
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" width=\"100%\" role=\"img\" aria-label=\"latency over time\" class=\"chart\">\n");
        s.append("<rect x=\"").append(LEFT).append("\" y=\"").append(top).append("\" width=\"")
                .append(WIDTH - LEFT - RIGHT).append("\" height=\"").append(plotBottom - top)
                .append("\" fill=\"#fafafa\" stroke=\"#bbb\"/>\n");

        // Fault windows under the dots.
        for (int i = 0; i < faults.size(); i++) {
            FaultWindow f = faults.get(i);
            double x1 = x(f.startNanos(), origin, span);
            double x2 = Math.max(x1 + 2, x(f.endNanos(), origin, span));
            String tip = f.name() + ": " + Words.time(f.startNanos(), origin) + " – " + Words.time(f.endNanos(), origin);
            s.append("<g class=\"fault\"><title>").append(Html.esc(tip)).append("</title>");
            s.append("<rect x=\"").append(Html.num(x1)).append("\" y=\"").append(top).append("\" width=\"")
                    .append(Html.num(x2 - x1)).append("\" height=\"").append(plotBottom - top)
                    .append("\" fill=\"").append(faultColour(f.name())).append("\" fill-opacity=\"0.18\"/>");
            int labelY = TOP + lanes.get(i)[0] * LABEL_LANE + 10;
            s.append("<line x1=\"").append(Html.num(x1)).append("\" x2=\"").append(Html.num(x1)).append("\" y1=\"")
                    .append(labelY + 2).append("\" y2=\"").append(plotBottom).append("\" stroke=\"")
                    .append(faultColour(f.name())).append("\" stroke-opacity=\"0.6\"/>");
            s.append("<text x=\"").append(Html.num(x1 + 2)).append("\" y=\"").append(labelY)
                    .append("\" font-size=\"11\" fill=\"#333\">").append(Html.esc(f.name())).append("</text></g>\n");
        }

        // Axes: latency decades and time ticks.
        for (double d = lo; d <= hi; d++) {
            double y = y(Math.pow(10, d), lo, hi, top, plotBottom);
            s.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"")
                    .append(Html.num(y)).append("\" y2=\"").append(Html.num(y)).append("\" stroke=\"#e0e0e0\"/>");
            s.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(Html.num(y + 4))
                    .append("\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">")
                    .append(Html.esc(latencyLabel(Math.pow(10, d)))).append("</text>\n");
        }
        double step = niceStep(span / 10);
        for (double t = 0; t <= span + 1; t += step) {
            double x = x(origin + (long) t, origin, span);
            s.append("<line x1=\"").append(Html.num(x)).append("\" x2=\"").append(Html.num(x)).append("\" y1=\"")
                    .append(plotBottom).append("\" y2=\"").append(plotBottom + 5).append("\" stroke=\"#888\"/>");
            s.append("<text x=\"").append(Html.num(x)).append("\" y=\"").append(plotBottom + 18)
                    .append("\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">")
                    .append(Html.esc(timeLabel(t, step))).append("</text>\n");
        }
        s.append("<text x=\"").append((LEFT + WIDTH - RIGHT) / 2).append("\" y=\"").append(height - 6)
                .append("\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">time since the first operation")
                .append("</text>\n");
        s.append("<text x=\"14\" y=\"").append((top + plotBottom) / 2).append("\" font-size=\"12\" fill=\"#333\"")
                .append(" text-anchor=\"middle\" transform=\"rotate(-90 14 ").append((top + plotBottom) / 2)
                .append(")\">latency (log)</text>\n");

        // The operations: ok first so that fail and info draw on top.
        boolean titled = history.size() <= MAX_TITLED;
        for (Outcome layer : new Outcome[] {Outcome.OK, Outcome.INFO, Outcome.FAIL}) {
            s.append("<g fill=\"").append(colour(layer)).append("\" fill-opacity=\"0.75\">\n");
            for (Operation op : history.operations()) {
                if (op.outcome() == layer) {
                    mark(s, op, x(op.invokeNanos(), origin, span),
                            y(Math.max(1, op.latencyNanos()), lo, hi, top, plotBottom), titled ? origin : -1);
                }
            }
            s.append("</g>\n");
        }
        for (Operation op : history.operations()) {
            if (flagged.contains(op.id())) {
                double cx = x(op.invokeNanos(), origin, span);
                double cy = y(Math.max(1, op.latencyNanos()), lo, hi, top, plotBottom);
                s.append("<circle cx=\"").append(Html.num(cx)).append("\" cy=\"").append(Html.num(cy))
                        .append("\" r=\"7\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\"><title>")
                        .append(Html.esc("anomaly: " + Words.describe(op, origin))).append("</title></circle>\n");
            }
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static void mark(StringBuilder s, Operation op, double x, double y, long origin) {
        boolean read = op.type() == OpType.GET || op.type() == OpType.READ;
        if (read) {
            s.append("<circle cx=\"").append(Html.num(x)).append("\" cy=\"").append(Html.num(y)).append("\" r=\"2.6\"");
        } else {
            s.append("<rect x=\"").append(Html.num(x - 2.4)).append("\" y=\"").append(Html.num(y - 2.4))
                    .append("\" width=\"4.8\" height=\"4.8\"");
        }
        if (origin >= 0) {
            s.append("><title>").append(Html.esc("key " + op.key() + ": " + Words.describe(op, origin)))
                    .append("</title></").append(read ? "circle" : "rect").append(">\n");
        } else {
            s.append("/>\n");
        }
    }

    static String colour(Outcome outcome) {
        return switch (outcome) {
            case OK -> OK_COLOUR;
            case FAIL -> FAIL_COLOUR;
            case INFO -> INFO_COLOUR;
        };
    }

    /** Faults of one kind share a colour: kill, pause, partition, anything else. */
    static String faultColour(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("kill") || n.contains("crash")) {
            return "#d32f2f";
        }
        if (n.contains("pause") || n.contains("stop")) {
            return "#7b1fa2";
        }
        if (n.contains("partition") || n.contains("isolat") || n.contains("bridge") || n.contains("loss")) {
            return "#1565c0";
        }
        return "#546e7a";
    }

    private static double x(long nanos, long origin, double span) {
        return LEFT + (nanos - origin) / span * (WIDTH - LEFT - RIGHT);
    }

    private static double y(double latencyNanos, double lo, double hi, int top, int bottom) {
        double l = Math.log10(Math.max(latencyNanos, Math.pow(10, lo)));
        return bottom - (l - lo) / (hi - lo) * (bottom - top);
    }

    private static String latencyLabel(double nanos) {
        if (nanos >= 1e9) {
            return String.format(Locale.ROOT, "%.0f s", nanos / 1e9);
        }
        if (nanos >= 1e6) {
            return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
        }
        if (nanos >= 1e3) {
            return String.format(Locale.ROOT, "%s ms", nanos >= 1e5 ? "0.1" : nanos >= 1e4 ? "0.01" : "0.001");
        }
        return String.format(Locale.ROOT, "%.0f ns", nanos);
    }

    private static String timeLabel(double nanos, double step) {
        if (step >= 1e9) {
            return String.format(Locale.ROOT, "%.0f s", nanos / 1e9);
        }
        if (step >= 1e8) {
            return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
        }
        if (step >= 1e6) {
            return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    private static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
