package io.kvstore.client.cli;

import com.google.protobuf.ByteString;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small JSON writer of kvctl's {@code -o json}. Field names are stable: scripts may rely on them.
 * Bytes (keys, values) are written as a string field when they are valid UTF-8, otherwise as a base64
 * field named with the suffix {@code _base64} ({@code "value_base64": "..."}).
 */
final class Json {
  private Json() {}

  /** An ordered object under construction. */
  static final class Obj {
    final Map<String, Object> fields = new LinkedHashMap<>();

    Obj put(String name, Object value) {
      fields.put(name, value);
      return this;
    }

    /** {@code name} as a string when valid UTF-8, else {@code name_base64}. */
    Obj bytes(String name, ByteString value) {
      if (value.isValidUtf8()) {
        fields.put(name, value.toStringUtf8());
      } else {
        fields.put(name + "_base64", Base64.getEncoder().encodeToString(value.toByteArray()));
      }
      return this;
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      write(sb, this);
      return sb.toString();
    }
  }

  static Obj obj() {
    return new Obj();
  }

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Obj o) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> e : o.fields.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        string(sb, e.getKey());
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof List<?> list) {
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(sb, list.get(i));
      }
      sb.append(']');
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else {
      string(sb, v.toString());
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
