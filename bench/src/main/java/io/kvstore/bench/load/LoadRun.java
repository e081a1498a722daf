package io.kvstore.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Runs one configuration against one store: a closed loop of {@code inFlight} slots, each issuing its next
 * request from the completion of its previous one, spread round-robin over the target's clients.
 *
 * <p>Why this shape: no thread per request and no thread per slot. Requests are issued and completed on the
 * clients' transport threads, so thousands can be in flight over one connection per server, and the
 * generator's own cost stays small next to the store's (it is measured and reported all the same). Like
 * h2load, the loop offers as much load as the in-flight limit allows; latency is measured from issue to
 * completion of each request, and there is no fixed request rate, hence no coordinated omission.
 *
 * <p>The calling thread is the run's clock: it wakes once per second, takes that second's histograms,
 * reports progress, and adds measured seconds to the totals. The warm-up's seconds are reported and
 * discarded.
 */
public final class LoadRun {
  /**
   * Where a slot continues after a request that completed on the issuing thread. Rare in a healthy run;
   * one daemon thread is enough and keeps a broken driver's failure loop off the caller's thread.
   */
  private static final java.util.concurrent.Executor SYNCHRONOUS_CONTINUATIONS =
      java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "load-run-sync-continuations");
        t.setDaemon(true);
        return t;
      });

  /** How long to wait, after the measured phase, for requests still in flight to complete. */
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

  private final BenchTarget target;
  private final RunConfig config;
  private final KeySpace keys;
  private final KeyChooser chooser;
  private final ProgressListener progress;
  private final OpRecorder recorder = new OpRecorder();
  private volatile boolean stopping;

  public LoadRun(
      BenchTarget target, RunConfig config, KeySpace keys, KeyChooser chooser, ProgressListener progress) {
    if (chooser.keyCount() != keys.keyCount()) {
      throw new IllegalArgumentException("the key chooser and the key space disagree on the key count");
    }
    this.target = target;
    this.config = config;
    this.keys = keys;
    this.chooser = chooser;
    this.progress = progress;
  }

  /** Runs the warm-up and the measured phase; blocks for their length plus the drain. */
  public RunResult run() throws InterruptedException {
    int warmupSeconds = (int) config.warmup().toSeconds();
    int totalSeconds = warmupSeconds + (int) config.duration().toSeconds();
    CountDownLatch drained = new CountDownLatch(config.inFlight());
    Map<OpType, Histogram> totals = new EnumMap<>(OpType.class);
    for (OpType type : OpType.values()) {
      totals.put(type, new Histogram(OpRecorder.HIGHEST_TRACKABLE_NANOS, 3));
    }
    List<Long> perSecondOps = new ArrayList<>();
    List<Double> perSecondP99 = new ArrayList<>();
    long errors = 0;
    long casFailures = 0;

    long start = System.nanoTime();
    long measureStart = start;
    long cpuStart = CpuClock.processCpuNanos();
    long[] jiffiesStart = CpuClock.machineJiffies();
    List<KvDriver> clients = target.clients();
    SplittableRandom seeds = new SplittableRandom(config.seed());
    try {
      for (int i = 0; i < config.inFlight(); i++) {
        new Slot(clients.get(i % clients.size()), seeds.split(), drained).issueNext();
      }
      for (int second = 1; second <= totalSeconds; second++) {
        parkUntil(start + TimeUnit.SECONDS.toNanos(second));
        OpRecorder.Interval interval = recorder.takeInterval();
        boolean warmup = second <= warmupSeconds;
        Histogram merged = interval.merged();
        double p99 = merged.getTotalCount() == 0 ? 0 : merged.getValueAtPercentile(99) / 1e6;
        progress.second(
            target.name(), config, second, warmup, interval.successes(), interval.errorCount(), p99);
        if (warmup) {
          if (second == warmupSeconds) {
            measureStart = System.nanoTime();
            cpuStart = CpuClock.processCpuNanos();
            jiffiesStart = CpuClock.machineJiffies();
          }
        } else {
          interval.histograms().forEach((type, h) -> totals.get(type).add(h));
          errors += interval.errorCount();
          casFailures += interval.casFailures();
          perSecondOps.add(interval.successes());
          perSecondP99.add(p99);
        }
        recorder.recycle(interval);
      }
    } finally {
      stopping = true;
    }
    long measureEnd = System.nanoTime();
    long cpuEnd = CpuClock.processCpuNanos();
    long[] jiffiesEnd = CpuClock.machineJiffies();
    if (!drained.await(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          drained.getCount() + " requests to " + target.name() + " were still in flight "
              + DRAIN_TIMEOUT.toSeconds() + " s after the run ended");
    }

    double seconds = (measureEnd - measureStart) / 1e9;
    Histogram all = new Histogram(OpRecorder.HIGHEST_TRACKABLE_NANOS, 3);
    Map<OpType, LatencySummary> byType = new EnumMap<>(OpType.class);
    for (Map.Entry<OpType, Histogram> e : totals.entrySet()) {
      all.add(e.getValue());
      if (config.workload().percent(e.getKey()) > 0) {
        byType.put(e.getKey(), LatencySummary.ofNanos(e.getValue()));
      }
    }
    double cpuCores =
        cpuStart < 0 || cpuEnd < 0 ? Double.NaN : (cpuEnd - cpuStart) / (double) (measureEnd - measureStart);
    KvDriver first = clients.get(0);
    return new RunResult(
        target.name(),
        first.describe(),
        config,
        chooser.describe(),
        keys.keyCount(),
        keys.valueSize(),
        clients.size(),
        all.getTotalCount(),
        errors,
        casFailures,
        seconds,
        LatencySummary.ofNanos(all),
        byType,
        cpuCores,
        CpuClock.busyShare(jiffiesStart, jiffiesEnd),
        perSecondOps,
        perSecondP99);
  }

  private static void parkUntil(long deadlineNanos) throws InterruptedException {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        throw new InterruptedException("load run interrupted");
      }
    }
  }

  /**
   * One request slot. At most one of its requests is in flight at a time, so its random source needs no
   * lock: each completion happens-before the next issue (the future's completion publishes it).
   */
  private final class Slot {
    private final KvDriver driver;
    private final SplittableRandom random;
    private final CountDownLatch drained;

    Slot(KvDriver driver, SplittableRandom random, CountDownLatch drained) {
      this.driver = driver;
      this.random = random;
      this.drained = drained;
    }

    void issueNext() {
      if (stopping) {
        drained.countDown();
        return;
      }
      OpType type = config.workload().next(random);
      int k = chooser.next(random);
      long startNanos = System.nanoTime();
      CompletableFuture<?> f = issue(type, k);
      if (f.isDone()) {
        // Completed on this thread (a request failing before it was sent). Continue on another thread:
        // looping here would hold the caller (the clock, while slots start) for as long as a broken driver
        // keeps failing, and recursing would grow the stack.
        f.handle((answer, error) -> {
          complete(type, k, startNanos, answer, error);
          return null;
        });
        SYNCHRONOUS_CONTINUATIONS.execute(this::issueNext);
        return;
      }
      f.whenComplete((answer, error) -> {
        complete(type, k, startNanos, answer, error);
        issueNext();
      });
    }

    private CompletableFuture<?> issue(OpType type, int k) {
      try {
        return switch (type) {
          case READ -> driver.get(keys.key(k), config.consistency());
          case UPDATE -> driver.put(keys.key(k), keys.value(random));
          case CAS -> driver.compareAndSwap(keys.key(k), target.versions().get(k), keys.value(random));
        };
      } catch (RuntimeException e) { // a driver breaking its contract still must not stop the slot
        return CompletableFuture.failedFuture(e);
      }
    }

    private void complete(OpType type, int k, long startNanos, Object answer, Throwable error) {
      long latency = System.nanoTime() - startNanos;
      if (error != null) {
        recorder.error(type);
        return;
      }
      recorder.success(type, latency);
      AtomicLongArray versions = target.versions();
      if (answer instanceof CasResult cas) {
        if (!cas.succeeded()) {
          recorder.casFailed();
        }
        versions.set(k, cas.version());
      } else if (answer instanceof Long version) { // a read's or a put's version: the latest known
        versions.set(k, version);
      }
    }
  }
}
