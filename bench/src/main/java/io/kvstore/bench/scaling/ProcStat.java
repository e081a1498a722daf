package io.kvstore.bench.scaling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A process's CPU time and resident memory, read from Linux's {@code /proc/<pid>/stat} and
 * {@code /proc/<pid>/status} (proc(5)). Pure parsing is separate from reading so the formats are tested on
 * fixed text.
 */
final class ProcStat {
  /**
   * Clock ticks per second of {@code utime}/{@code stime}. {@code sysconf(_SC_CLK_TCK)} is 100 on every
   * Linux this runs on (x86-64, arm64), and Java cannot ask for it without a process.
   */
  static final long CLOCK_TICKS_PER_SECOND = 100;

  private ProcStat() {}

  /** utime + stime of {@code pid}, in clock ticks. Throws if the process is gone. */
  static long cpuTicks(long pid) throws IOException {
    return parseCpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
  }

  /**
   * utime + stime of the JIT compiler threads of a HotSpot JVM ({@code C1/C2 CompilerThread<n>}, as
   * {@code /proc/<pid>/task/<tid>/comm} names them, cut to 15 characters), in clock ticks. Threads that
   * end meanwhile are skipped; compiler threads come and go as HotSpot sizes its pool.
   */
  static long compilerTicks(long pid) throws IOException {
    long sum = 0;
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          if (isCompilerThread(Files.readString(task.resolve("comm")))) {
            sum += parseCpuTicks(Files.readString(task.resolve("stat")));
          }
        } catch (IOException gone) {
          // the thread ended between the listing and the read
        }
      }
    }
    return sum;
  }

  static boolean isCompilerThread(String comm) {
    String c = comm.trim();
    return c.startsWith("C1 CompilerThre") || c.startsWith("C2 CompilerThre");
  }

  /** VmRSS of {@code pid}, in bytes. Throws if the process is gone. */
  static long residentBytes(long pid) throws IOException {
    return parseResidentBytes(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
  }

  /**
   * utime (field 14) + stime (field 15) of one {@code /proc/<pid>/stat} line. Field 2, the command name in
   * parentheses, may itself hold spaces and parentheses, so fields are counted from the last ')'.
   */
  static long parseCpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
    }
    String[] f = stat.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state), so field n is f[n - 3].
    if (f.length < 13) {
      throw new IllegalArgumentException("too few fields in /proc/<pid>/stat: " + stat);
    }
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** The "VmRSS:  123456 kB" line of {@code /proc/<pid>/status}, in bytes. */
  static long parseResidentBytes(List<String> status) {
    for (String line : status) {
      if (line.startsWith("VmRSS:")) {
        String[] f = line.substring("VmRSS:".length()).trim().split("\\s+");
        if (f.length != 2 || !f[1].equals("kB")) {
          throw new IllegalArgumentException("unexpected VmRSS line: " + line);
        }
        return Long.parseLong(f[0]) * 1024;
      }
    }
    throw new IllegalArgumentException("no VmRSS line (a kernel thread, or a zombie?)");
  }

  /** Share of one core used over an interval: CPU ticks used / (seconds × ticks per second). */
  static double coreShare(long ticksBefore, long ticksAfter, double seconds) {
    return (ticksAfter - ticksBefore) / (seconds * CLOCK_TICKS_PER_SECOND);
  }
}
