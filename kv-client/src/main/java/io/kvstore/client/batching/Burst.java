package io.kvstore.client.batching;

import java.util.ArrayList;

/**
 * Work done in one go on one thread (the results of one received message, the answers of one worker
 * round) whose sends leave together at its end: a {@link Coalescer} handed several items during a burst
 * sends them as one message. Outside a burst a send goes at once. Nothing waits and nothing is timed, so
 * batching costs no latency: a burst ends as soon as its loop does.
 */
public final class Burst {
  private static final ThreadLocal<ArrayList<Runnable>> OPEN = new ThreadLocal<>();

  private Burst() {}

  /** Runs {@code work} as a burst; a burst started inside another joins it. */
  public static void run(Runnable work) {
    if (OPEN.get() != null) {
      work.run();
      return;
    }
    ArrayList<Runnable> atEnd = new ArrayList<>();
    OPEN.set(atEnd);
    try {
      work.run();
    } finally {
      OPEN.remove(); // closed first: what the flushes add goes at once
      atEnd.forEach(Runnable::run);
    }
  }

  /** Whether this thread is in a burst. */
  static boolean isOpen() {
    return OPEN.get() != null;
  }

  /** Runs {@code flush} when this thread's burst ends (it must be in one: {@link #isOpen}). */
  static void atEnd(Runnable flush) {
    OPEN.get().add(flush);
  }
}
