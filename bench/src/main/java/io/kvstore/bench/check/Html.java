package io.kvstore.bench.check;

import java.util.Locale;

/** Escaping and number formatting for the HTML report and its inline SVG. */
final class Html {
    private Html() {
    }

    /** Escapes text for element content and attribute values. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A coordinate with one decimal, locale-independent. */
    static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
