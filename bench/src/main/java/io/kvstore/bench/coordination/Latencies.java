package io.kvstore.bench.coordination;

import io.kvstore.bench.load.LatencySummary;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Recorder;

/** Latencies (nanoseconds, 3 significant digits) and errors of the measured operations; thread-safe. */
final class Latencies {
  private final Recorder recorder = new Recorder(3);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();

  void record(long nanos) {
    recorder.recordValue(Math.max(0, nanos));
  }

  void error(Throwable e) {
    errors.incrementAndGet();
    firstError.compareAndSet(null, String.valueOf(e));
  }

  /** Everything recorded so far (call once, at the end). */
  LatencySummary summary() {
    return LatencySummary.ofNanos(recorder.getIntervalHistogram());
  }

  long errors() {
    return errors.get();
  }

  /** The first error's text, or null. */
  String firstError() {
    return firstError.get();
  }
}
