package io.kvstore.bench.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A note of what a run created (node PIDs, namespaces, the bridge), appended to the file named by the
 * system property {@code chaos.leftovers} when set, so that {@code scripts/chaos} can remove whatever the
 * JVM could not (if it was killed with SIGKILL, its shutdown hook never ran). Lines: {@code pid N},
 * {@code netns NAME}, {@code link NAME}. Does nothing without the property; never throws.
 */
final class Leftovers {
  private Leftovers() {
  }

  static synchronized void note(String kind, String what) {
    String file = System.getProperty("chaos.leftovers");
    if (file == null || file.isBlank()) {
      return;
    }
    try {
      Files.writeString(Path.of(file), kind + " " + what + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      // best effort: the JVM's own cleanup is the main path
    }
  }
}
