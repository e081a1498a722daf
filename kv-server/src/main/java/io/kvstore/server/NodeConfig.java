package io.kvstore.server;

import io.kvstore.server.replica.ReplicaOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a node needs to start. Built by {@link NodeMain} from flags and an optional config file.
 *
 * @param nodeId this node's id, unique in the cluster, 1 or more
 * @param clusterId the cluster's id; every request and node-to-node message is checked against it
 * @param grpcHost host the gRPC server binds to
 * @param grpcPort port of the gRPC server (0: any free port, for tests)
 * @param metricsPort port of the Prometheus /metrics endpoint (0: any free port; -1: none)
 * @param dataDir where this node keeps its RocksDB and its copy of the cluster map
 * @param initialCluster the nodes of a new cluster (ignored when the data dir already holds a map)
 * @param shardCount shards of a new cluster (ignored when the data dir already holds a map)
 * @param replicationFactor replicas per shard of a new cluster (ignored likewise)
 * @param maxValueBytes the value limit of a new cluster, reported in ClusterMap.limits
 * @param replicaOptions the replicas' timing, cache, snapshot and storage settings
 * @param shutdownTimeout how long a stop waits for leaderships to move away and in-flight calls to end
 */
public record NodeConfig(
    long nodeId,
    String clusterId,
    String grpcHost,
    int grpcPort,
    int metricsPort,
    Path dataDir,
    List<InitialMember> initialCluster,
    int shardCount,
    int replicationFactor,
    int maxValueBytes,
    ReplicaOptions replicaOptions,
    Duration shutdownTimeout) {

  public static final int DEFAULT_SHARD_COUNT = 16;
  public static final int DEFAULT_REPLICATION_FACTOR = 3;
  public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

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
    if (shardCount < 1 || shardCount > 65_536) {
      throw new IllegalArgumentException("shard count must be 1 to 65536, got " + shardCount);
    }
    if (replicationFactor < 1 || replicationFactor > 7) {
      throw new IllegalArgumentException(
          "replication factor must be 1 to 7, got " + replicationFactor);
    }
    if (maxValueBytes < 1 || maxValueBytes > (32 << 20)) {
      throw new IllegalArgumentException(
          "max value bytes must be 1 to 33554432 (32 MiB), got " + maxValueBytes);
    }
    Objects.requireNonNull(replicaOptions, "replicaOptions");
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
  }

  /** A config with the defaults for shards, replication, value limit and tuning. */
  public NodeConfig(
      long nodeId,
      String clusterId,
      String grpcHost,
      int grpcPort,
      int metricsPort,
      Path dataDir,
      List<InitialMember> initialCluster) {
    this(
        nodeId,
        clusterId,
        grpcHost,
        grpcPort,
        metricsPort,
        dataDir,
        initialCluster,
        DEFAULT_SHARD_COUNT,
        DEFAULT_REPLICATION_FACTOR,
        DEFAULT_MAX_VALUE_BYTES,
        ReplicaOptions.defaults(),
        DEFAULT_SHUTDOWN_TIMEOUT);
  }

  public NodeConfig withGrpcPort(int port) {
    return new NodeConfig(nodeId, clusterId, grpcHost, port, metricsPort, dataDir, initialCluster,
        shardCount, replicationFactor, maxValueBytes, replicaOptions, shutdownTimeout);
  }

  public NodeConfig withInitialCluster(List<InitialMember> members) {
    return new NodeConfig(nodeId, clusterId, grpcHost, grpcPort, metricsPort, dataDir, members,
        shardCount, replicationFactor, maxValueBytes, replicaOptions, shutdownTimeout);
  }

  public NodeConfig withShards(int shards, int replication) {
    return new NodeConfig(nodeId, clusterId, grpcHost, grpcPort, metricsPort, dataDir,
        initialCluster, shards, replication, maxValueBytes, replicaOptions, shutdownTimeout);
  }

  public NodeConfig withReplicaOptions(ReplicaOptions options) {
    return new NodeConfig(nodeId, clusterId, grpcHost, grpcPort, metricsPort, dataDir,
        initialCluster, shardCount, replicationFactor, maxValueBytes, options, shutdownTimeout);
  }

  public NodeConfig withShutdownTimeout(Duration timeout) {
    return new NodeConfig(nodeId, clusterId, grpcHost, grpcPort, metricsPort, dataDir,
        initialCluster, shardCount, replicationFactor, maxValueBytes, replicaOptions, timeout);
  }

  /** One node of the initial cluster: {@code id=host:port}, optionally {@code @weight}. */
  public record InitialMember(long id, String address, int weight) {

    public InitialMember {
      if (id < 1) {
        throw new IllegalArgumentException("node ids are 1 or more, got " + id);
      }
      if (weight < 1) {
        throw new IllegalArgumentException("node " + id + ": weights are 1 or more, got " + weight);
      }
    }

    public InitialMember(long id, String address) {
      this(id, address, 1);
    }

    /**
     * Parses {@code "1=127.0.0.1:7001,2=127.0.0.1:7002@2"} (weight after '@', default 1); throws with
     * a message naming the bad part.
     */
    public static List<InitialMember> parseList(String spec) {
      if (spec == null || spec.isBlank()) {
        return List.of();
      }
      List<InitialMember> members =
          java.util.Arrays.stream(spec.split(","))
              .map(String::trim)
              .filter(s -> !s.isEmpty())
              .map(InitialMember::parse)
              .toList();
      if (members.stream().map(InitialMember::id).distinct().count() != members.size()) {
        throw new IllegalArgumentException("initial-cluster names a node id twice: " + spec);
      }
      return members;
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
      int weight = 1;
      int at = address.lastIndexOf('@');
      if (at >= 0) {
        try {
          weight = Integer.parseInt(address.substring(at + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "bad initial-cluster member '" + part + "': the weight after '@' must be a number");
        }
        address = address.substring(0, at);
      }
      if (address.lastIndexOf(':') <= 0) {
        throw new IllegalArgumentException(
            "bad initial-cluster member '" + part + "': the address must be HOST:PORT");
      }
      try {
        return new InitialMember(id, address, weight);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "bad initial-cluster member '" + part + "': " + e.getMessage());
      }
    }
  }
}
