package io.kvstore.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeMap;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The in-memory term cache against a map: appends, truncations, compactions, and more runs than it keeps. */
class TermRunsTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void answersLikeAMapForWhatItCovers(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    TermRuns runs = new TermRuns();
    TreeMap<Long, Long> model = new TreeMap<>();
    long term = 1;
    long next = 1;
    for (int step = 0; step < 20_000; step++) {
      int op = rnd.nextInt(100);
      if (op < 80 || model.isEmpty()) {
        if (rnd.nextInt(3) == 0) {
          term++; // many short runs: more than the 1024 kept
        }
        runs.append(next, term);
        model.put(next, term);
        next++;
      } else if (op < 90) {
        long from = model.firstKey() + rnd.nextLong(next - model.firstKey());
        runs.truncateFrom(from);
        model.tailMap(from, true).clear();
        next = from;
        term++;
      } else {
        long before = model.firstKey() + rnd.nextLong(next - model.firstKey());
        runs.dropBefore(before);
        model.headMap(before, false).clear();
      }
      if (model.isEmpty()) {
        assertThat(runs.isEmpty() || runs.last() < next).isTrue();
        continue;
      }
      if (!runs.isEmpty()) {
        assertThat(runs.last()).as("seed %d step %d", seed, step).isEqualTo(model.lastKey());
        assertThat(runs.first()).isGreaterThanOrEqualTo(model.firstKey());
        for (int probe = 0; probe < 5; probe++) {
          long i = runs.first() + rnd.nextLong(runs.last() - runs.first() + 1);
          assertThat(runs.term(i)).as("seed %d step %d term(%d)", seed, step, i).isEqualTo(model.get(i));
        }
      }
    }
  }
}
