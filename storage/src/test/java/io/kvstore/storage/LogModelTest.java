package io.kvstore.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.HardState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random appends (with conflicting suffixes and new terms), commits, applies, compactions and reopens
 * against a plain list model: every term and entry the store reports (cached or read from RocksDB) must
 * match the model. Seeded; a failure names its seed.
 */
class LogModelTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void logMatchesModel(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int groups = 3;
    List<List<Long>> terms = new ArrayList<>(); // model: terms.get(g).get(i - 1) = term of entry i
    long[] first = new long[groups];
    long[] commit = new long[groups];
    long[] applied = new long[groups];
    long[] term = new long[groups];
    for (int g = 0; g < groups; g++) {
      terms.add(new ArrayList<>());
      first[g] = 1;
      term[g] = 1;
    }
    NodeStore store = NodeStore.open(dir, 9, "model", StorageOptions.small());
    try {
      for (int step = 0; step < 300; step++) {
        StoreBatch b = store.newBatch();
        boolean compacted = false;
        for (int g = 0; g < groups; g++) {
          List<Long> log = terms.get(g);
          int op = rnd.nextInt(10);
          if (op < 6) { // append, sometimes overwriting an uncommitted suffix with a newer term
            long last = log.size();
            long from = last + 1;
            if (rnd.nextInt(4) == 0 && last > commit[g]) {
              from = commit[g] + 1 + rnd.nextLong(last - commit[g]);
              term[g]++;
            }
            from = Math.max(from, first[g]);
            int n = 1 + rnd.nextInt(6);
            List<Entry> es = TestEntries.entries(from, from + n - 1, term[g]);
            b.append(g, es);
            while (log.size() >= from) {
              log.remove(log.size() - 1);
            }
            for (int i = 0; i < n; i++) {
              log.add(term[g]);
            }
          } else if (op < 8 && commit[g] < log.size()) {
            commit[g] += 1 + rnd.nextLong(log.size() - commit[g]);
            b.setHardState(g, HardState.newBuilder().setTerm(term[g]).setCommit(commit[g]).build());
            if (commit[g] > applied[g]) {
              applied[g] = commit[g] - rnd.nextLong(Math.min(3, commit[g] - applied[g]));
              b.setApplied(g, applied[g], log.get((int) applied[g] - 1));
            }
          } else if (op == 8 && applied[g] >= first[g]) {
            long to = first[g] + rnd.nextLong(applied[g] - first[g] + 1);
            b.compactLog(g, TestEntries.point(to, log.get((int) to - 1)));
            first[g] = to + 1;
            compacted = true;
          }
        }
        store.write(b, compacted ? Durability.SYNC : Durability.NO_SYNC);
        if (rnd.nextInt(40) == 0) {
          store.close();
          store = NodeStore.open(dir, 9, "model", StorageOptions.small());
        }
        for (int g = 0; g < groups; g++) {
          check(seed, step, store.group(g), terms.get(g), first[g], commit[g], applied[g], rnd);
        }
      }
    } finally {
      store.close();
    }
  }

  private static void check(long seed, int step, GroupStorage g, List<Long> log, long first, long commit,
      long applied, SplittableRandom rnd) {
    String where = "seed " + seed + " step " + step + " group " + g.groupId();
    assertThat(g.firstIndex()).as(where).isEqualTo(first);
    assertThat(g.lastIndex()).as(where).isEqualTo(log.size());
    assertThat(g.hardState().getCommit()).as(where).isEqualTo(commit);
    assertThat(g.appliedIndex()).as(where).isEqualTo(applied);
    if (first > 1) {
      assertThat(g.term(first - 1)).as(where).isEqualTo(log.get((int) first - 2));
    }
    for (long i = first; i <= log.size(); i++) {
      assertThat(g.term(i)).as(where + " term(" + i + ")").isEqualTo(log.get((int) i - 1));
    }
    if (first <= log.size()) {
      long lo = first + rnd.nextLong(log.size() - first + 1);
      List<Entry> es = g.entries(lo, log.size() + 1, Long.MAX_VALUE);
      assertThat(es).as(where).hasSize((int) (log.size() - lo + 1));
      for (Entry e : es) {
        assertThat(e).as(where).isEqualTo(TestEntries.entry(e.getIndex(), log.get((int) e.getIndex() - 1)));
      }
    }
  }
}
