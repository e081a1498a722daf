package io.kvstore.client.cli;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Keys and values between the command line and the wire. */
final class Bytes {
  private Bytes() {}

  /** stdin for tests; System.in otherwise. */
  static InputStream stdin = System.in;

  static ByteString key(String key) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException("the key must not be empty");
    }
    return ByteString.copyFromUtf8(key);
  }

  /**
   * A value from, in order of preference: {@code file} (read as bytes), the {@code argument} ("-" means
   * stdin), or stdin when neither is given. Throws UncheckedIOException (NoSuchFileException inside) for a
   * missing file.
   */
  static ByteString value(String argument, Path file, String what) {
    if (file != null && argument != null) {
      throw new IllegalArgumentException("give the " + what + " either as an argument or with a file, not both");
    }
    try {
      if (file != null) {
        return ByteString.copyFrom(Files.readAllBytes(file));
      }
      if (argument == null || argument.equals("-")) {
        if (argument == null && System.console() != null && stdin == System.in) {
          throw new IllegalArgumentException("no " + what + ": give it as an argument, with a file option,"
              + " or pipe it on stdin");
        }
        return ByteString.readFrom(stdin);
      }
      return ByteString.copyFromUtf8(argument);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** For tables: printable ASCII/UTF-8 as is, other bytes as \xHH. */
  static String display(ByteString b) {
    if (b.isValidUtf8()) {
      String s = b.toStringUtf8();
      if (s.codePoints().noneMatch(c -> c < 0x20 || c == 0x7f)) {
        return s;
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < b.size(); i++) {
      int c = b.byteAt(i) & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.toString();
  }
}
