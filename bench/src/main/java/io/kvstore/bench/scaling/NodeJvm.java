package io.kvstore.bench.scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * How the nodes' JVMs are started.
 *
 * @param heap the -Xmx value, e.g. "1g"
 * @param flags more JVM flags; empty for measurements (G1, full JIT). Tests add start-up flags such as
 *     -XX:TieredStopAtLevel=1, which make the figures meaningless but the nodes quicker to start.
 */
public record NodeJvm(String heap, List<String> flags) {
  public NodeJvm {
    flags = List.copyOf(flags);
  }

  /** The flags before the main class. */
  public List<String> arguments() {
    List<String> a = new ArrayList<>(List.of("-Xmx" + heap, "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"));
    a.addAll(flags);
    return a;
  }
}
