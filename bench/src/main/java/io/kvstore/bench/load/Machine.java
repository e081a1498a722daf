package io.kvstore.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A one-line description of the machine a run happened on, for the reports. */
public final class Machine {
  private Machine() {}

  /** "2 cores (AMD EPYC ...), 23.4 GiB, Linux 6.1, Java 17.0.15". */
  public static String describe() {
    int cores = Runtime.getRuntime().availableProcessors();
    String model = cpuModel();
    String memory = memoryGiB();
    return cores + " cores" + (model.isEmpty() ? "" : " (" + model + ")")
        + (memory.isEmpty() ? "" : ", " + memory)
        + ", " + System.getProperty("os.name") + " " + System.getProperty("os.version")
        + ", Java " + System.getProperty("java.version");
  }

  private static String cpuModel() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      for (String line : lines) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim().replaceAll("\\s+", " ");
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: leave the model out
    }
    return "";
  }

  private static String memoryGiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format(java.util.Locale.ROOT, "%.1f GiB", kib / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "";
  }
}
