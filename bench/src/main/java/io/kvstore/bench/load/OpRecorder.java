package io.kvstore.bench.load;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Where completions are recorded: one HdrHistogram {@link Recorder} per operation type (latency in
 * nanoseconds), plus error and failed-CAS counters.
 *
 * <p>Thread-safety: {@link #success}, {@link #error} and {@link #casFailed} are called concurrently from
 * transport threads and never block (Recorder's writer path is wait-free). {@link #takeInterval} is called
 * by one thread, the run's clock, once per second; it swaps the recorders' active histograms, so each
 * completion lands in exactly one interval.
 */
final class OpRecorder {
  /** Latencies above a minute are clamped to a minute (and are a broken run anyway). */
  static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Map<OpType, Recorder> recorders = new EnumMap<>(OpType.class);
  private final Map<OpType, Histogram> recycled = new EnumMap<>(OpType.class);
  private final Map<OpType, LongAdder> errors = new EnumMap<>(OpType.class);
  private final LongAdder casFailures = new LongAdder();

  OpRecorder() {
    for (OpType type : OpType.values()) {
      recorders.put(type, new Recorder(HIGHEST_TRACKABLE_NANOS, 3));
      errors.put(type, new LongAdder());
    }
  }

  void success(OpType type, long latencyNanos) {
    recorders.get(type).recordValue(Math.min(Math.max(latencyNanos, 0), HIGHEST_TRACKABLE_NANOS));
  }

  void error(OpType type) {
    errors.get(type).increment();
  }

  void casFailed() {
    casFailures.increment();
  }

  /** What completed since the previous call. The histograms are owned by the caller. */
  Interval takeInterval() {
    Map<OpType, Histogram> histograms = new EnumMap<>(OpType.class);
    Map<OpType, Long> errorCounts = new EnumMap<>(OpType.class);
    for (OpType type : OpType.values()) {
      Histogram h = recorders.get(type).getIntervalHistogram(recycled.remove(type));
      histograms.put(type, h);
      errorCounts.put(type, errors.get(type).sumThenReset());
    }
    return new Interval(histograms, errorCounts, casFailures.sumThenReset());
  }

  /** Gives an interval's histograms back for reuse once the caller has added them up. */
  void recycle(Interval interval) {
    for (Map.Entry<OpType, Histogram> e : interval.histograms().entrySet()) {
      recycled.put(e.getKey(), e.getValue());
    }
  }

  /** One interval's completions. */
  record Interval(Map<OpType, Histogram> histograms, Map<OpType, Long> errors, long casFailures) {
    long successes() {
      long n = 0;
      for (Histogram h : histograms.values()) {
        n += h.getTotalCount();
      }
      return n;
    }

    long errorCount() {
      long n = 0;
      for (long e : errors.values()) {
        n += e;
      }
      return n;
    }

    /** All types' latencies in one histogram. */
    Histogram merged() {
      Histogram all = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
      for (Histogram h : histograms.values()) {
        all.add(h);
      }
      return all;
    }
  }
}
