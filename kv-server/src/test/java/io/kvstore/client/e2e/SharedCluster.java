package io.kvstore.client.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One 3-node cluster (weights 1, 2, 3; 4 shards) shared by the e2e test classes that do not kill nodes,
 * started on first use and stopped when the test JVM exits.
 */
final class SharedCluster {
  private static RealCluster cluster;

  private SharedCluster() {}

  static synchronized RealCluster get() {
    if (cluster == null) {
      try {
        Path dir = Files.createTempDirectory("kvstore-client-e2e");
        cluster = new RealCluster(dir, 3, 4, new int[] {1, 2, 3});
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          cluster.close();
          try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          } catch (IOException e) {
            // best effort: a temp dir
          }
        }));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return cluster;
  }
}
