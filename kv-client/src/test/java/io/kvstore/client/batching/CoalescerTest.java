package io.kvstore.client.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the command streams rely on: batches per burst, nothing lost or sent twice, one sender at a time. */
class CoalescerTest {
  @Test
  void outsideABurstEachItemGoesAtOnceAndInsideOneTheyGoTogetherAtItsEnd() {
    List<List<Integer>> sent = new ArrayList<>();
    Coalescer<Integer> c = new Coalescer<>(100, 1 << 20, i -> 4, b -> sent.add(List.copyOf(b)), () -> {});
    c.add(1);
    assertThat(sent).containsExactly(List.of(1));
    Burst.run(() -> {
      c.add(2);
      c.add(3);
      Burst.run(() -> c.add(4)); // a nested burst joins the outer one
      assertThat(sent).hasSize(1); // nothing leaves before the burst ends
    });
    assertThat(sent).containsExactly(List.of(1), List.of(2, 3, 4));
  }

  @Test
  void aBurstSplitsItsItemsIntoBatchesOfAtMostTheLimit() {
    List<List<Integer>> sent = new ArrayList<>();
    Coalescer<Integer> c = new Coalescer<>(3, 1 << 20, i -> 4, b -> sent.add(List.copyOf(b)), () -> {});
    Burst.run(() -> {
      for (int i = 0; i < 7; i++) {
        c.add(i);
      }
    });
    assertThat(sent).containsExactly(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6));
  }

  @Test
  void aBatchStopsBeforeItsByteLimitAndAnItemLargerThanTheLimitGoesAlone() {
    List<List<Integer>> sent = new ArrayList<>();
    // Items are their own size in bytes; at most 100 bytes per batch.
    Coalescer<Integer> c = new Coalescer<>(1000, 100, i -> i, b -> sent.add(List.copyOf(b)), () -> {});
    Burst.run(() -> List.of(40, 50, 20, 500, 30, 60, 10).forEach(c::add));
    assertThat(sent).containsExactly(List.of(40, 50), List.of(20), List.of(500), List.of(30, 60, 10));
  }

  @Test
  void manyThreadsLoseNothingAndTheSinkNeverRunsTwiceAtOnce() throws Exception {
    int threads = 4;
    int perThread = 20_000;
    AtomicInteger inSink = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger drained = new AtomicInteger();
    boolean[] seen = new boolean[threads * perThread];
    Coalescer<Integer> c = new Coalescer<>(64, 1 << 20, i -> 4, batch -> {
      if (inSink.incrementAndGet() != 1) {
        overlaps.incrementAndGet();
      }
      for (int i : batch) {
        assertThat(seen[i]).as("item %d sent once", i).isFalse();
        seen[i] = true;
      }
      inSink.decrementAndGet();
    }, drained::incrementAndGet);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int base = t * perThread;
      boolean bursts = t % 2 == 0; // half of the threads add inside bursts of 10
      Thread w = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perThread; i += 10) {
          int from = base + i;
          Runnable ten = () -> {
            for (int k = from; k < from + 10; k++) {
              c.add(k);
            }
          };
          if (bursts) {
            Burst.run(ten);
          } else {
            ten.run();
          }
        }
      });
      w.start();
      workers.add(w);
    }
    go.countDown();
    for (Thread w : workers) {
      w.join(60_000);
    }
    assertThat(c.isEmpty()).isTrue();
    assertThat(overlaps.get()).isZero();
    for (int i = 0; i < seen.length; i++) {
      assertThat(seen[i]).as("item %d sent", i).isTrue();
    }
    assertThat(drained.get()).isPositive();
  }
}
