package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The admission rule that keeps a client's retries inside each shard's exactly-once window: fewer than W
 * writes admitted to a shard since its oldest unfinished one, sequences in admission order, the rest
 * waiting in order.
 */
class WriteWindowTest {

  @Test
  void writesBeyondTheWindowWaitAndGoInOrder() {
    WriteWindow w = new WriteWindow(new AtomicLong());
    List<CompletableFuture<WriteWindow.Ticket>> tickets = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      tickets.add(w.admit(7, 4));
    }
    assertThat(tickets.subList(0, 4)).allMatch(CompletableFuture::isDone);
    assertThat(tickets.subList(4, 6)).noneMatch(CompletableFuture::isDone);
    w.release(tickets.get(0).join());
    assertThat(tickets.get(4)).isDone();
    assertThat(tickets.get(5)).isNotDone();
    // Sequences grow in admission order.
    for (int i = 1; i <= 4; i++) {
      assertThat(tickets.get(i).join().sequence()).isGreaterThan(tickets.get(i - 1).join().sequence());
    }
  }

  @Test
  void aStuckWriteHoldsBackItsShardEvenWhenLaterOnesFinish() {
    WriteWindow w = new WriteWindow(new AtomicLong());
    WriteWindow.Ticket stuck = w.admit(1, 3).join();
    // Two more fit (3 admissions since the stuck one would be the window); they finish, yet a retry of
    // the stuck write must still find its result kept: no more than 2 later sequences may reach the shard.
    w.release(w.admit(1, 3).join());
    w.release(w.admit(1, 3).join());
    CompletableFuture<WriteWindow.Ticket> next = w.admit(1, 3);
    assertThat(next).isNotDone();
    // Other shards are not held back.
    assertThat(w.admit(2, 3)).isDone();
    w.release(stuck);
    assertThat(next).isDone();
    assertThat(w.unfinished(1)).isEqualTo(1);
  }

  @Test
  void aWriteThatGaveUpWaitingTakesNoPlace() {
    WriteWindow w = new WriteWindow(new AtomicLong());
    WriteWindow.Ticket first = w.admit(1, 1).join();
    CompletableFuture<WriteWindow.Ticket> gaveUp = w.admit(1, 1);
    CompletableFuture<WriteWindow.Ticket> after = w.admit(1, 1);
    gaveUp.completeExceptionally(new KvException(io.grpc.Status.Code.DEADLINE_EXCEEDED, "late", 0, false, null));
    w.release(first);
    assertThat(after).isDone();
    assertThat(w.unfinished(1)).isEqualTo(1);
  }
}
