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

  /** A compaction point as the Raft core's {@code snapshotMetadata(index)} would give it. */
  static io.kvstore.raft.proto.SnapshotMetadata point(long index, long term,
      io.kvstore.raft.proto.ConfState conf) {
    return io.kvstore.raft.proto.SnapshotMetadata.newBuilder().setIndex(index).setTerm(term)
        .setConfState(conf).build();
  }

  static io.kvstore.raft.proto.SnapshotMetadata point(long index, long term) {
    return point(index, term, io.kvstore.raft.proto.ConfState.getDefaultInstance());
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
