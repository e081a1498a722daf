package io.kvstore.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link ResultWindow} keeps what a sorted map would, in the same order, whatever the arrival order. */
class ResultWindowTest {

  @Test
  void behavesAsASortedMapUnderRandomWindowTraffic() {
    for (long seed = 1; seed <= 50; seed++) {
      SplittableRandom rnd = new SplittableRandom(seed);
      int window = 1 + rnd.nextInt(300);
      ResultWindow w = new ResultWindow();
      TreeMap<Long, byte[]> model = new TreeMap<>();
      long next = rnd.nextLong(1_000_000);
      for (int op = 0; op < 5_000; op++) {
        int kind = rnd.nextInt(100);
        long sequence;
        if (kind < 80) {
          sequence = next; // a client's next write: above everything kept
          next += 1 + rnd.nextInt(3);
        } else if (kind < 95) {
          sequence = next - 1 - rnd.nextInt(2 * window + 2); // applied out of order, or a replacement
        } else {
          sequence = model.isEmpty() ? next : model.firstKey() - 1 - rnd.nextInt(5); // below all kept
        }
        byte[] result = {(byte) op, (byte) (op >> 8)};
        w.put(sequence, result);
        model.put(sequence, result);
        while (model.size() > window) {
          assertThat(w.removeFirst()).as("seed %d op %d", seed, op).isEqualTo(model.pollFirstEntry().getKey());
        }
        long probe = next - rnd.nextInt(2 * window + 2);
        assertThat(w.get(probe)).as("seed %d op %d get %d", seed, op, probe).isSameAs(model.get(probe));
        assertThat(w.size()).isEqualTo(model.size());
        assertThat(w.firstSequence()).isEqualTo(model.firstKey());
        assertThat(w.lastSequence()).isEqualTo(model.lastKey());
      }
      assertThat(contents(w)).as("seed %d", seed).containsExactlyElementsOf(model.keySet());
      int i = 0;
      for (Map.Entry<Long, byte[]> e : model.entrySet()) {
        assertThat(w.resultAt(i++)).isSameAs(e.getValue());
      }
    }
  }

  @Test
  void anEmptyWindowHasNoFirstOrLast() {
    ResultWindow w = new ResultWindow();
    assertThat(w.isEmpty()).isTrue();
    assertThat(w.get(7)).isNull();
    assertThatThrownBy(w::firstSequence).isInstanceOf(NoSuchElementException.class);
    assertThatThrownBy(w::removeFirst).isInstanceOf(NoSuchElementException.class);
    w.put(7, new byte[] {1});
    assertThat(w.removeFirst()).isEqualTo(7);
    assertThat(w.isEmpty()).isTrue();
    assertThatThrownBy(w::lastSequence).isInstanceOf(NoSuchElementException.class);
  }

  private static List<Long> contents(ResultWindow w) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < w.size(); i++) {
      out.add(w.sequenceAt(i));
    }
    return out;
  }
}
