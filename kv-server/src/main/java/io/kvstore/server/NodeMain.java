package io.kvstore.server;

import io.kvstore.server.replica.ReplicaOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code kv-server} process: parses flags (and an optional config file), starts a {@link Node}, and on
 * SIGTERM (or Ctrl-C) stops it: leaderships handed away, in-flight calls finished, RocksDB flushed and
 * closed. A restart on the same data dir resumes from disk.
 *
 * <p>The config file ({@code --config FILE}) is a Java properties file whose keys are the long flag names
 * without dashes, e.g. {@code node-id=1}, {@code data-dir=/var/lib/kvstore}; flags on the command line win.
 */
@Command(
    name = "kv-server",
    mixinStandardHelpOptions = true,
    version = Node.VERSION,
    sortOptions = false,
    description = "Runs one kvstore node.")
public final class NodeMain implements Callable<Integer> {

  @Option(names = "--config", description = "A properties file of flag values (keys: long flag names without dashes).")
  Path configFile;

  @Option(names = "--node-id", description = "This node's id (1 or more). Required.")
  Long nodeId;

  @Option(names = "--data-dir", description = "Where the node keeps its data. Required.")
  Path dataDir;

  @Option(
      names = "--cluster-id",
      defaultValue = "local",
      description = "The cluster's id (default: ${DEFAULT-VALUE}).")
  String clusterId;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "7001", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--metrics-port",
      defaultValue = "9101",
      description = "Prometheus /metrics port; -1 turns it off (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(
      names = "--initial-cluster",
      defaultValue = "",
      description =
          "The nodes of a new cluster: ID=HOST:PORT[@WEIGHT],... (e.g. 1=127.0.0.1:7001,2=127.0.0.1:7002@2)."
              + " Ignored when the data dir already holds a cluster map.")
  String initialCluster;

  @Option(
      names = "--join",
      defaultValue = "",
      description =
          "Join an existing cluster through this member (HOST:PORT) instead of bootstrapping one; the map"
              + " group then moves replicas here. Ignored when the data dir already holds a cluster map.")
  String join;

  @Option(
      names = "--weight",
      defaultValue = "1",
      description = "With --join: this node's share of replicas relative to others (default: ${DEFAULT-VALUE}).")
  int weight;

  @Option(
      names = "--max-moves-per-node",
      defaultValue = "2",
      description = "Replica moves that may involve one node at once, when this node drives them"
          + " (default: ${DEFAULT-VALUE}).")
  int maxMovesPerNode;

  @Option(
      names = "--failure-timeout-ms",
      defaultValue = "30000",
      description = "A node silent for this long is marked DOWN and its replicas are re-created on other"
          + " nodes, when this node drives the moves (default: ${DEFAULT-VALUE}).")
  long failureTimeoutMs;

  @Option(
      names = "--leader-balance-ms",
      defaultValue = "2000",
      description = "How often one leadership moves towards the nodes' weighted shares, when this node drives"
          + " the moves; 0 turns leader balancing off (default: ${DEFAULT-VALUE}).")
  long leaderBalanceMs;

  @Option(
      names = "--snapshot-bytes-per-second",
      defaultValue = "67108864",
      description = "Snapshot bytes this node may send per second (replica moves, lagging followers); 0: no"
          + " limit (default: ${DEFAULT-VALUE}).")
  long snapshotBytesPerSecond;

  @Option(
      names = "--shards",
      defaultValue = "16",
      description = "Shards of a new cluster (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(
      names = "--replication",
      defaultValue = "3",
      description = "Replicas per shard of a new cluster (default: ${DEFAULT-VALUE}).")
  int replication;

  @Option(
      names = "--max-value-bytes",
      defaultValue = "1048576",
      description = "The value limit of a new cluster (default: ${DEFAULT-VALUE}).")
  int maxValueBytes;

  @Option(
      names = "--write-window",
      defaultValue = "1024",
      description = "The exactly-once window of a new cluster: results of each client's latest writes kept"
          + " per shard (default: ${DEFAULT-VALUE}).")
  int writeWindow;

  @Option(
      names = "--cache-bytes",
      defaultValue = "67108864",
      description = "The hot-value cache's bound in bytes; 0 turns it off (default: ${DEFAULT-VALUE}).")
  long cacheBytes;

  @Option(
      names = "--quiesce",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Idle shards stop heartbeating (one heartbeat per peer node instead); --no-quiesce"
          + " keeps every group heartbeating (default: ${DEFAULT-VALUE}).")
  boolean quiesce;

  @Option(
      names = "--tick-ms",
      defaultValue = "100",
      description = "The Raft tick in milliseconds (default: ${DEFAULT-VALUE}).")
  long tickMs;

  @Option(
      names = "--election-ticks",
      defaultValue = "10",
      description = "Election timeout in ticks (default: ${DEFAULT-VALUE}).")
  int electionTicks;

  @Option(
      names = "--heartbeat-ticks",
      defaultValue = "1",
      description = "Heartbeat period in ticks (default: ${DEFAULT-VALUE}).")
  int heartbeatTicks;

  @Option(
      names = "--snapshot-entries",
      defaultValue = "10000",
      description = "Compact a shard's log after this many applied entries, or sooner while the node holds "
          + "more applied log than half a log memtable (default: ${DEFAULT-VALUE}).")
  long snapshotEntries;

  @Option(
      names = "--loop-threads",
      defaultValue = "1",
      description = "Worker loop threads driving the shards (default: ${DEFAULT-VALUE}).")
  int loopThreads;

  @Option(
      names = "--lease-reads",
      defaultValue = "false",
      description = "Serve LEASE reads from the leader lease (assumes bounded clock drift).")
  boolean leaseReads;

  @Option(
      names = "--shutdown-timeout-ms",
      defaultValue = "10000",
      description = "How long a stop waits for leaderships to move and calls to end (default: ${DEFAULT-VALUE}).")
  long shutdownTimeoutMs;

  /** The node's config from the parsed flags. */
  NodeConfig toConfig() {
    if (nodeId == null) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--node-id is required (on the command line or in --config)");
    }
    if (dataDir == null) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--data-dir is required (on the command line or in --config)");
    }
    if (writeWindow < 1) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--write-window must be 1 or more, got " + writeWindow);
    }
    ReplicaOptions d = ReplicaOptions.defaults();
    ReplicaOptions options =
        new ReplicaOptions(
            Duration.ofMillis(tickMs),
            electionTicks,
            heartbeatTicks,
            loopThreads,
            d.maxPendingProposals(),
            snapshotEntries,
            d.readTimeoutTicks(),
            leaseReads,
            cacheBytes,
            d.sessions().withResultsPerClient(writeWindow),
            d.storage(),
            d.maxTransportBatchBytes(),
            quiesce);
    return new NodeConfig(
        nodeId,
        clusterId,
        host,
        port,
        metricsPort,
        dataDir,
        NodeConfig.InitialMember.parseList(initialCluster),
        shards,
        replication,
        maxValueBytes,
        options,
        Duration.ofMillis(shutdownTimeoutMs));
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config = toConfig();
    if (!join.isBlank() && !config.initialCluster().isEmpty()) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--join and --initial-cluster exclude each other: join an existing"
              + " cluster or bootstrap a new one");
    }
    if (weight < 1 || weight > io.kvstore.server.membership.MembershipChanges.MAX_WEIGHT) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--weight must be 1 to " + io.kvstore.server.membership.MembershipChanges.MAX_WEIGHT + ", got " + weight);
    }
    io.kvstore.server.membership.MembershipOptions membership =
        io.kvstore.server.membership.MembershipOptions.defaults().withMaxMovesPerNode(maxMovesPerNode)
            .withFailureTimeout(Duration.ofMillis(failureTimeoutMs))
            .withLeaderBalancePeriod(Duration.ofMillis(leaderBalanceMs))
            .withSnapshotBytesPerSecond(snapshotBytesPerSecond);
    Node node;
    if (join.isBlank()) {
      node = Node.bind(config, Node.REAL_REPLICAS).withMembershipOptions(membership);
      try {
        node.serve(config.initialCluster());
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
    } else {
      node = Node.bind(config, Node.REAL_REPLICAS).withMembershipOptions(membership);
      try {
        node.join(join.trim(), weight, Duration.ofMinutes(2));
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
    }
    System.out.printf(
        "kv-server node %d of cluster '%s' serving gRPC on %s, metrics on port %d, data in %s%n",
        config.nodeId(), config.clusterId(), node.grpcAddress(), node.metricsPort(), config.dataDir());
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "shutdown"));
    node.awaitTermination();
    return 0;
  }

  /** The command line with the config file (if any) as the source of defaults. */
  static CommandLine commandLine(String[] args) {
    NodeMain main = new NodeMain();
    CommandLine cli = new CommandLine(main);
    Path config = configFileOf(args);
    if (config != null) {
      if (!Files.isReadable(config)) {
        throw new CommandLine.ParameterException(cli, "cannot read the config file " + config);
      }
      cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(config.toFile()));
    }
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("kv-server: " + e.getMessage());
          return 1;
        });
    return cli;
  }

  private static Path configFileOf(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
    }
    return null;
  }

  public static void main(String[] args) {
    int code;
    try {
      code = commandLine(args).execute(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println("kv-server: " + e.getMessage());
      code = 2;
    }
    System.exit(code);
  }
}
