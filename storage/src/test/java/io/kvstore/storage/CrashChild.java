package io.kvstore.storage;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The process {@link CrashTest} kills. It drives several groups like the kv-server worker loop: each
 * round one batch with every group's appends (sometimes replacing an uncommitted suffix under a new term)
 * and hard state, written with SYNC; then one batch applying the committed entries (NO_SYNC); now and then
 * a SYNC log compaction. It reports each step as one line, to stdout and to a report file:
 *
 * <pre>
 * B round group:first:last:term:commit ...   a batch is about to be written (first=0: no append)
 * A round                                    that batch's write returned: it is durable
 * P group applied                            an apply batch's write returned
 * </pre>
 *
 * Every line ends with " ;" so the parent can ignore a line the kill cut short. Arguments: data directory,
 * seed, number of groups. It stops by itself after 60 seconds.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    SplittableRandom rnd = new SplittableRandom(Long.parseLong(args[1]));
    int groups = Integer.parseInt(args[2]);
    Report out = new Report(Path.of(args[3]));
    long deadline = System.nanoTime() + 60_000_000_000L;
    try (NodeStore store = NodeStore.open(dir, 1, "crash", StorageOptions.small())) {
      long[] term = new long[groups + 1];
      for (int g = 1; g <= groups; g++) {
        term[g] = store.group(g).hardState().getTerm() + 1; // a restart is a new term
      }
      for (long round = 1; System.nanoTime() < deadline; round++) {
        StringBuilder line = new StringBuilder("B ").append(round);
        StoreBatch batch = store.newBatch();
        for (int g = 1; g <= groups; g++) {
          GroupStorage gs = store.group(g);
          long last = gs.lastIndex();
          long commit = gs.hardState().getCommit();
          long first = 0;
          long to = 0;
          if (rnd.nextInt(5) != 0) {
            first = last + 1;
            if (last > commit && rnd.nextInt(12) == 0) {
              first = commit + 1 + rnd.nextLong(last - commit); // overwrite an uncommitted suffix
              term[g]++;
            }
            to = first + rnd.nextInt(4);
            batch.append(g, entries(first, to, term[g], g));
            last = to;
          }
          commit = Math.min(last, commit + rnd.nextInt(4));
          batch.setHardState(g, HardState.newBuilder().setTerm(term[g]).setVote(1).setCommit(commit).build());
          line.append(' ').append(g).append(':').append(first).append(':').append(to).append(':')
              .append(term[g]).append(':').append(commit);
        }
        out.println(line.append(" ;").toString());
        store.write(batch, Durability.SYNC);
        out.println("A " + round + " ;");

        StoreBatch apply = store.newBatch();
        List<String> applied = new ArrayList<>();
        for (int g = 1; g <= groups; g++) {
          GroupStorage gs = store.group(g);
          long from = gs.appliedIndex() + 1;
          long commit = gs.hardState().getCommit();
          if (from > commit) {
            continue;
          }
          for (Entry e : gs.entries(from, commit + 1, Long.MAX_VALUE)) {
            apply.put(g, dataKey(e.getIndex()), e.getData().toByteArray());
          }
          apply.setApplied(g, commit, gs.term(commit));
          applied.add("P " + g + " " + commit + " ;");
        }
        store.write(apply, Durability.NO_SYNC);
        for (String p : applied) {
          out.println(p);
        }

        if (round % 10 == 0) {
          StoreBatch compact = store.newBatch();
          for (int g = 1; g <= groups; g++) {
            long upTo = store.group(g).appliedIndex() - rnd.nextInt(5);
            if (upTo >= store.group(g).firstIndex()) {
              compact.compactLog(g, io.kvstore.raft.proto.SnapshotMetadata.newBuilder().setIndex(upTo)
                  .setTerm(store.group(g).term(upTo)).build());
            }
          }
          store.write(compact, Durability.SYNC);
        }
      }
    }
  }

  /**
   * Each line goes to stdout and, with one write system call, to a report file the parent reads after
   * the kill: a completed write to a file survives the process, while lines flushed to the pipe were seen
   * missing from what the parent read after a kill.
   */
  private static final class Report {
    private final java.io.FileOutputStream file;

    Report(Path path) {
      try {
        file = new java.io.FileOutputStream(path.toFile(), true);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    void println(String line) {
      byte[] bytes = (line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      try {
        file.write(bytes);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      System.out.write(bytes, 0, bytes.length);
      System.out.flush();
    }
  }

  static List<Entry> entries(long from, long to, long term, int group) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(entry(i, term, group));
    }
    return out;
  }

  static Entry entry(long index, long term, int group) {
    return Entry.newBuilder().setIndex(index).setTerm(term)
        .setData(com.google.protobuf.ByteString.copyFromUtf8("g" + group + "/" + index + "@" + term)).build();
  }

  static byte[] dataKey(long index) {
    byte[] k = new byte[8];
    Keys.putLong(k, 0, index);
    return k;
  }
}
