package io.kvstore.client.cli;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.TxnDelete;
import io.kvstore.proto.v1.TxnGet;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnPut;
import io.kvstore.proto.v1.TxnRequest;

/**
 * Parses kvctl's transaction text (see {@link TxnCommand}'s help): compares, a blank line, the operations
 * of the success branch, a blank line, the operations of the failure branch. Errors name the line.
 */
final class TxnParser {
  private final String line;
  private final int lineNumber;
  private int pos;

  private TxnParser(String line, int lineNumber) {
    this.line = line;
    this.lineNumber = lineNumber;
  }

  static TxnRequest parse(String text) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    int section = 0; // 0 compares, 1 success, 2 failure
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i].strip();
      if (l.startsWith("#")) {
        continue;
      }
      if (l.isEmpty()) {
        section = Math.min(section + 1, 3);
        continue;
      }
      if (section >= 3) {
        throw new IllegalArgumentException("txn line " + (i + 1) + ": only three sections (compares, success,"
            + " failure) separated by single blank lines are allowed");
      }
      TxnParser p = new TxnParser(l, i + 1);
      if (section == 0) {
        txn.addCompare(p.compare());
      } else if (section == 1) {
        txn.addSuccess(p.op());
      } else {
        txn.addFailure(p.op());
      }
    }
    return txn.build();
  }

  private Compare compare() {
    String target = word();
    Compare.Builder c = Compare.newBuilder();
    boolean version;
    switch (target) {
      case "value", "val" -> version = false;
      case "version", "ver" -> version = true;
      default -> throw error("a compare starts with value(\"KEY\") or version(\"KEY\"), not '" + target + "'");
    }
    c.setTarget(version ? Compare.Target.TARGET_VERSION : Compare.Target.TARGET_VALUE);
    expect('(');
    c.setKey(token(")"));
    expect(')');
    skipSpaces();
    String op;
    if (line.startsWith("!=", pos) || line.startsWith("==", pos)) {
      op = line.substring(pos, pos + 2);
      pos += 2;
    } else if (pos < line.length() && "=<>".indexOf(line.charAt(pos)) >= 0) {
      op = line.substring(pos, pos + 1);
      pos++;
    } else {
      throw error("expected one of = != > < after the key");
    }
    c.setResult(switch (op) {
      case "=", "==" -> Compare.Result.RESULT_EQUAL;
      case "!=" -> Compare.Result.RESULT_NOT_EQUAL;
      case ">" -> Compare.Result.RESULT_GREATER;
      default -> Compare.Result.RESULT_LESS;
    });
    ByteString operand = token("");
    if (version) {
      try {
        c.setVersion(Long.parseLong(operand.toStringUtf8()));
      } catch (NumberFormatException e) {
        throw error("a version is a number, not '" + operand.toStringUtf8() + "'");
      }
    } else {
      c.setValue(operand);
    }
    end();
    return c.build();
  }

  private TxnOp op() {
    String verb = word();
    TxnOp op = switch (verb) {
      case "get" -> TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(token(""))).build();
      case "put" -> {
        ByteString key = token("");
        yield TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(key).setValue(token(""))).build();
      }
      case "del", "delete" -> TxnOp.newBuilder().setDelete(TxnDelete.newBuilder().setKey(token(""))).build();
      default -> throw error("an operation is get KEY, put KEY VALUE or del KEY, not '" + verb + "'");
    };
    end();
    return op;
  }

  private String word() {
    skipSpaces();
    int start = pos;
    while (pos < line.length() && Character.isLetter(line.charAt(pos))) {
      pos++;
    }
    return line.substring(start, pos);
  }

  /** A "quoted string" with escapes, or a bare word ending at a space or one of {@code stops}. */
  private ByteString token(String stops) {
    skipSpaces();
    if (pos >= line.length()) {
      throw error("missing argument at the end of the line");
    }
    if (line.charAt(pos) != '"') {
      int start = pos;
      while (pos < line.length() && !Character.isWhitespace(line.charAt(pos))
          && stops.indexOf(line.charAt(pos)) < 0) {
        pos++;
      }
      return ByteString.copyFromUtf8(line.substring(start, pos));
    }
    pos++;
    ByteString.Output out = ByteString.newOutput();
    StringBuilder chunk = new StringBuilder();
    while (true) {
      if (pos >= line.length()) {
        throw error("a quoted string is not closed");
      }
      char ch = line.charAt(pos++);
      if (ch == '"') {
        break;
      }
      if (ch != '\\') {
        chunk.append(ch);
        continue;
      }
      if (pos >= line.length()) {
        throw error("a backslash ends the line");
      }
      char e = line.charAt(pos++);
      switch (e) {
        case 'n' -> chunk.append('\n');
        case 't' -> chunk.append('\t');
        case '"', '\\' -> chunk.append(e);
        case 'x' -> {
          if (pos + 2 > line.length()) {
            throw error("\\x needs two hex digits");
          }
          flush(chunk, out);
          try {
            out.write(Integer.parseInt(line.substring(pos, pos + 2), 16));
          } catch (NumberFormatException ex) {
            throw error("\\x needs two hex digits");
          }
          pos += 2;
        }
        default -> throw error("unknown escape \\" + e + " (use \\\" \\\\ \\n \\t \\xHH)");
      }
    }
    flush(chunk, out);
    return out.toByteString();
  }

  private static void flush(StringBuilder chunk, ByteString.Output out) {
    byte[] b = chunk.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.write(b, 0, b.length);
    chunk.setLength(0);
  }

  private void expect(char c) {
    skipSpaces();
    if (pos >= line.length() || line.charAt(pos) != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private void end() {
    skipSpaces();
    if (pos < line.length()) {
      throw error("unexpected '" + line.substring(pos) + "' (quote values that hold spaces)");
    }
  }

  private void skipSpaces() {
    while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
      pos++;
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("txn line " + lineNumber + ": " + what + ": " + line);
  }

}
