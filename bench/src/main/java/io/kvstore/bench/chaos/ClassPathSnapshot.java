package io.kvstore.bench.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private copy of this JVM's class path for the nodes of one cluster. Nodes are started and restarted
 * many times during a run; if the jars or class folders they run from were rebuilt meanwhile (a shared
 * work tree, a {@code mvn install} of a sibling module), a restarted node would run other code than its
 * peers, or fail with NoClassDefFoundError halfway through. The copy keeps every start of every node on the
 * code the run began with.
 */
final class ClassPathSnapshot {
  private ClassPathSnapshot() {
  }

  /** Copies every class path entry under {@code dir} and returns the class path of the copies. Blocks. */
  static String take(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (entry.isBlank()) {
        continue;
      }
      Path source = Path.of(entry);
      if (!Files.exists(source)) {
        continue;
      }
      Path target = dir.resolve((n++) + "-" + source.getFileName());
      if (Files.isDirectory(source)) {
        copyTree(source, target);
      } else {
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
      }
      entries.add(target.toString());
    }
    return String.join(java.io.File.pathSeparator, entries);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      walk.forEach(f -> {
        try {
          Path t = to.resolve(from.relativize(f).toString());
          if (Files.isDirectory(f)) {
            Files.createDirectories(t);
          } else {
            Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
