package io.kvstore.storage;

import com.google.protobuf.ByteString;
import io.kvstore.raft.proto.Entry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds log entries for tests: entry {@code i} of term {@code t} carries "i@t". */
final class TestEntries {
  private TestEntries() {}

  static Entry entry(long index, long term) {
    return Entry.newBuilder().setIndex(index).setTerm(term)
        .setData(ByteString.copyFromUtf8(index + "@" + term)).build();
  }

  /** Entries {@code [from, to]} of one term. */
  static List<Entry> entries(long from, long to, long term) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(entry(i, term));
    }
    return out;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
