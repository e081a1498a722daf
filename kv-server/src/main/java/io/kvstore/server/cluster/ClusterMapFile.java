package io.kvstore.server.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.proto.v1.ClusterMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The cluster map a node keeps in its data dir ({@code cluster-map.pb}, the {@link ClusterMap} message in
 * binary), so that a restarted node uses the map it had rather than bootstrapping again.
 *
 * <p>Contract: {@link #write} is durable when it returns (written to a temporary file, fsynced, renamed
 * over the old one, directory fsynced), so a crash leaves either the old map or the new one, never a torn
 * one. Both methods block on disk I/O; call them at start-up or from a thread that may block. Leader hints
 * are not persisted (they are stale by the time anyone reads them).
 */
public final class ClusterMapFile {
  static final String FILE_NAME = "cluster-map.pb";

  private final Path file;

  public ClusterMapFile(Path dataDir) {
    this.file = dataDir.resolve(FILE_NAME);
  }

  public Path path() {
    return file;
  }

  /**
   * The stored map, or empty when the data dir holds none.
   *
   * @throws UncheckedIOException when the file exists but cannot be read or parsed (a node must not
   *     silently bootstrap over a map it cannot read)
   */
  public Optional<ClusterMap> read() {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(ClusterMap.parseFrom(Files.readAllBytes(file)));
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException(
          "the cluster map in " + file + " is corrupt; restore it from another node's data dir", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster map in " + file, e);
    }
  }

  /** Replaces the stored map with {@code map} (without leader hints); durable on return. */
  public void write(ClusterMap map) {
    ClusterMap.Builder stripped = map.toBuilder();
    for (int i = 0; i < stripped.getShardsCount(); i++) {
      stripped.setShards(
          i, stripped.getShards(i).toBuilder().clearLeaderNodeId().clearLeaderTerm().build());
    }
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(stripped.build().toByteArray());
        while (bytes.hasRemaining()) {
          ch.write(bytes);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the cluster map to " + file, e);
    }
  }
}
