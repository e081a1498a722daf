package io.kvstore.bench.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time this process used, and the machine's busy and total jiffies from /proc/stat, so a run can
 * report what the generator itself cost and whether the machine was saturated.
 */
final class CpuClock {
  private static final Path PROC_STAT = Path.of("/proc/stat");

  private CpuClock() {}

  /** CPU time of this JVM in nanoseconds, all threads, or -1 when the JVM does not report it. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** {busy, total} jiffies of all cores since boot, or null off Linux. */
  static long[] machineJiffies() {
    try {
      String line = Files.readAllLines(PROC_STAT).get(0); // "cpu  user nice system idle iowait irq ..."
      String[] f = line.trim().split("\\s+");
      long total = 0;
      long idle = 0;
      for (int i = 1; i < f.length && i <= 8; i++) { // user..steal; guest time is already in user
        long v = Long.parseLong(f[i]);
        total += v;
        if (i == 4 || i == 5) { // idle, iowait
          idle += v;
        }
      }
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The busy share between two {@link #machineJiffies} readings, or NaN. */
  static double busyShare(long[] before, long[] after) {
    if (before == null || after == null || after[1] <= before[1]) {
      return Double.NaN;
    }
    return (double) (after[0] - before[0]) / (after[1] - before[1]);
  }
}
