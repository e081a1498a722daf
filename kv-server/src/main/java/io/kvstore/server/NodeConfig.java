package io.kvstore.server;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything a node needs to start. Built by {@link NodeMain} from flags (and later a config file).
 *
 * @param nodeId this node's id, unique in the cluster, 1 or more
 * @param clusterId the cluster's id; every request and node-to-node message is checked against it
 * @param grpcHost host the gRPC server binds to
 * @param grpcPort port of the gRPC server (0: any free port, for tests)
 * @param metricsPort port of the Prometheus /metrics endpoint (0: any free port; -1: none)
 * @param dataDir where this node keeps its RocksDB and identity files
 * @param initialCluster the nodes of a new cluster (ignored when the data dir already holds a cluster)
 */
public record NodeConfig(
    long nodeId,
    String clusterId,
    String grpcHost,
    int grpcPort,
    int metricsPort,
    Path dataDir,
    List<InitialMember> initialCluster) {

  public NodeConfig {
    if (nodeId < 1) {
      throw new IllegalArgumentException("node id must be 1 or more, got " + nodeId);
    }
    Objects.requireNonNull(clusterId, "clusterId");
    if (clusterId.isBlank()) {
      throw new IllegalArgumentException("cluster id must not be blank");
    }
    Objects.requireNonNull(dataDir, "dataDir");
    initialCluster = List.copyOf(initialCluster);
  }

  /** One node of the initial cluster: {@code id=host:port}. */
  public record InitialMember(long id, String address) {

    /** Parses {@code "1=127.0.0.1:7001,2=127.0.0.1:7002"}; throws with a message naming the bad part. */
    public static List<InitialMember> parseList(String spec) {
      if (spec == null || spec.isBlank()) {
        return List.of();
      }
      return java.util.Arrays.stream(spec.split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .map(InitialMember::parse)
          .toList();
    }

    static InitialMember parse(String part) {
      int eq = part.indexOf('=');
      if (eq <= 0 || eq == part.length() - 1) {
        throw new IllegalArgumentException(
            "bad initial-cluster member '" + part + "': expected ID=HOST:PORT, e.g. 1=127.0.0.1:7001");
      }
      long id;
      try {
        id = Long.parseLong(part.substring(0, eq));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "bad initial-cluster member '" + part + "': the id before '=' must be a number");
      }
      String address = part.substring(eq + 1);
      if (address.lastIndexOf(':') <= 0) {
        throw new IllegalArgumentException(
            "bad initial-cluster member '" + part + "': the address must be HOST:PORT");
      }
      return new InitialMember(id, address);
    }
  }
}
