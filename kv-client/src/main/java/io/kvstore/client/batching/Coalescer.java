package io.kvstore.client.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Items from any thread, handed to a sink in batches, one batch at a time: what is added during a
 * {@link Burst} goes out at its end; what is added while another thread is sending goes out with that
 * thread's next batch; anything else goes at once. For a stream whose messages carry many items (the
 * command streams between client and node).
 *
 * <p>Thread-safe. The sink and {@code whenDrained} are never run by two threads at once, so they may call
 * a gRPC stream's {@code onNext} and {@code onCompleted}, which are not thread-safe.
 */
public final class Coalescer<T> {
  private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
  /** A flush is due at the end of some thread's burst (items added meanwhile need none of their own). */
  private final AtomicBoolean deferred = new AtomicBoolean();
  /** Flush requests not yet served: only the thread that raises it from 0 drains (no request is lost). */
  private final AtomicInteger work = new AtomicInteger();
  private final int maxBatch;
  private final long maxBytes;
  private final ToIntFunction<T> sizeOf;
  private final Consumer<List<T>> sink;
  private final Runnable whenDrained;

  /**
   * @param maxBatch most items per batch
   * @param maxBytes most bytes per batch by {@code sizeOf} (an item larger than that goes alone), so a
   *     batch stays far below the transport's message limit however large its items are
   * @param sink sends one batch
   * @param whenDrained runs after every drain (e.g. to end a stream once nothing is left); may be a no-op
   */
  public Coalescer(int maxBatch, long maxBytes, ToIntFunction<T> sizeOf, Consumer<List<T>> sink,
      Runnable whenDrained) {
    this.maxBatch = maxBatch;
    this.maxBytes = maxBytes;
    this.sizeOf = sizeOf;
    this.sink = sink;
    this.whenDrained = whenDrained;
  }

  public void add(T item) {
    queue.add(item);
    if (deferred.get()) {
      return; // a burst's flush is due, and it clears the flag before it drains: it takes this item
    }
    if (Burst.isOpen()) {
      if (deferred.compareAndSet(false, true)) {
        Burst.atEnd(this::flushDeferred);
      }
      return;
    }
    flush();
  }

  private void flushDeferred() {
    deferred.set(false);
    flush();
  }

  /** Sends everything queued now (or has the thread that is sending do it), then runs {@code whenDrained}. */
  public void flush() {
    if (work.getAndIncrement() != 0) {
      return; // the thread draining will loop once more for us
    }
    int missed = 1;
    do {
      List<T> batch = new ArrayList<>();
      long bytes = 0;
      for (T item; (item = queue.poll()) != null; ) {
        int size = sizeOf.applyAsInt(item);
        if (!batch.isEmpty() && (batch.size() >= maxBatch || bytes + size > maxBytes)) {
          sink.accept(batch);
          batch = new ArrayList<>();
          bytes = 0;
        }
        batch.add(item);
        bytes += size;
      }
      if (!batch.isEmpty()) {
        sink.accept(batch);
      }
      whenDrained.run();
      missed = work.addAndGet(-missed);
    } while (missed != 0);
  }

  public boolean isEmpty() {
    return queue.isEmpty();
  }
}
