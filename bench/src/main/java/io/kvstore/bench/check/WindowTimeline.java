package io.kvstore.bench.check;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A failing window drawn as inline SVG: one row per client, one bar per operation from invocation to
 * completion (indeterminate ones fade out to the right: they may take effect any time later), labelled
 * with what was asked and what came back; the impossible result outlined in red, and operations the
 * explanation names from outside the window (e.g. the earlier writes of a stale value) outlined dashed.
 */
final class WindowTimeline {
    private static final int WIDTH = 1100;
    private static final int LEFT = 80;
    private static final int RIGHT = 20;
    private static final int ROW = 30;
    private static final int TOP = 10;
    private static final int AXIS = 30;

    private WindowTimeline() {
    }

    static String svg(FailingWindow window, long origin) {
        List<Operation> ops = new ArrayList<>(window.operations());
        ops.addAll(window.context());
        long from = window.startNanos();
        long to = window.endNanos();
        for (Operation op : ops) {
            from = Math.min(from, op.invokeNanos());
        }
        double span = Math.max(1, to - from);
        from -= (long) (span * 0.02);
        to += (long) (span * 0.06);
        span = to - from;
        TreeSet<Integer> clients = new TreeSet<>();
        ops.forEach(op -> clients.add(op.client()));
        List<Integer> rows = new ArrayList<>(clients);
        int height = TOP + rows.size() * ROW + AXIS;
        int id = System.identityHashCode(window);

        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(height).append("\" width=\"100%\" class=\"timeline\">\n");
        s.append("<defs><linearGradient id=\"fade").append(id).append("\" x1=\"0\" x2=\"1\">")
                .append("<stop offset=\"0\" stop-color=\"").append(LatencyChart.INFO_COLOUR).append("\" stop-opacity=\"0.8\"/>")
                .append("<stop offset=\"1\" stop-color=\"").append(LatencyChart.INFO_COLOUR).append("\" stop-opacity=\"0.05\"/>")
                .append("</linearGradient></defs>\n");
        double windowX = x(window.startNanos(), from, span);
        s.append("<rect x=\"").append(Html.num(windowX)).append("\" y=\"").append(TOP).append("\" width=\"")
                .append(Html.num(x(window.endNanos(), from, span) - windowX)).append("\" height=\"")
                .append(rows.size() * ROW).append("\" fill=\"#fff3e0\"/>\n");
        for (int r = 0; r < rows.size(); r++) {
            int y = TOP + r * ROW;
            s.append("<text x=\"").append(LEFT - 8).append("\" y=\"").append(y + 19)
                    .append("\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">client ").append(rows.get(r))
                    .append("</text>");
            s.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"")
                    .append(y + ROW).append("\" y2=\"").append(y + ROW).append("\" stroke=\"#eee\"/>\n");
        }
        for (Operation op : ops) {
            int y = TOP + rows.indexOf(op.client()) * ROW + 5;
            double x1 = x(op.invokeNanos(), from, span);
            boolean info = op.outcome() == Outcome.INFO;
            double x2 = info ? WIDTH - RIGHT : Math.max(x1 + 3, x(op.completeNanos(), from, span));
            String fill = info ? "url(#fade" + id + ")" : LatencyChart.colour(op.outcome());
            boolean culprit = op.id() == window.culprit().id();
            boolean context = window.context().contains(op);
            s.append("<g><title>").append(Html.esc(Words.describe(op, origin))).append("</title>");
            s.append("<rect x=\"").append(Html.num(x1)).append("\" y=\"").append(y).append("\" width=\"")
                    .append(Html.num(x2 - x1)).append("\" height=\"20\" rx=\"3\" fill=\"").append(fill)
                    .append("\" fill-opacity=\"").append(info ? "1" : "0.35").append('"');
            if (culprit) {
                s.append(" stroke=\"#b71c1c\" stroke-width=\"2.5\"");
            } else if (context) {
                s.append(" stroke=\"#555\" stroke-dasharray=\"4 3\"");
            }
            s.append("/>");
            s.append("<text x=\"").append(Html.num(x1 + 4)).append("\" y=\"").append(y + 14)
                    .append("\" font-size=\"11\" fill=\"#111\"").append(culprit ? " font-weight=\"bold\"" : "")
                    .append('>').append(Html.esc(label(op) + (context ? " (outside the window)" : ""))).append("</text></g>\n");
        }
        int axisY = TOP + rows.size() * ROW;
        for (int i = 0; i <= 4; i++) {
            long t = from + (long) (span * i / 4);
            double x = x(t, from, span);
            s.append("<line x1=\"").append(Html.num(x)).append("\" x2=\"").append(Html.num(x)).append("\" y1=\"")
                    .append(axisY).append("\" y2=\"").append(axisY + 5).append("\" stroke=\"#888\"/>");
            String anchor = i == 0 ? "start" : i == 4 ? "end" : "middle";
            s.append("<text x=\"").append(Html.num(x)).append("\" y=\"").append(axisY + 18)
                    .append("\" font-size=\"11\" text-anchor=\"").append(anchor).append("\" fill=\"#555\">")
                    .append(Html.esc(Words.time(t, origin))).append("</text>\n");
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** Short bar text: "put v8", "get → v7", "cas a→b ✗", "put v2 ?" (unknown), "put v3 failed". */
    private static String label(Operation op) {
        String request = Words.request(op);
        return switch (op.outcome()) {
            case INFO -> request + " ?";
            case FAIL -> request + " failed";
            case OK -> switch (op.type()) {
                case GET -> "get → " + Words.value(op.value());
                case CAS -> request + (op.swapped() ? " ✓" : " ✗");
                default -> request;
            };
        };
    }

    private static double x(long nanos, long from, double span) {
        return LEFT + (nanos - from) / span * (WIDTH - LEFT - RIGHT);
    }
}
