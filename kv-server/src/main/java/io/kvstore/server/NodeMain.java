package io.kvstore.server;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code kv-server} process: parses flags, starts a {@link Node}, stops it on SIGTERM. */
@Command(
    name = "kv-server",
    mixinStandardHelpOptions = true,
    version = Node.VERSION,
    description = "Runs one kvstore node.")
public final class NodeMain implements Callable<Integer> {

  @Option(names = "--node-id", required = true, description = "This node's id (1 or more).")
  long nodeId;

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

  @Option(names = "--data-dir", required = true, description = "Where the node keeps its data.")
  Path dataDir;

  @Option(
      names = "--initial-cluster",
      defaultValue = "",
      description = "The nodes of a new cluster: ID=HOST:PORT,... (e.g. 1=127.0.0.1:7001,2=127.0.0.1:7002).")
  String initialCluster;

  @Override
  public Integer call() throws Exception {
    NodeConfig config =
        new NodeConfig(
            nodeId,
            clusterId,
            host,
            port,
            metricsPort,
            dataDir,
            NodeConfig.InitialMember.parseList(initialCluster));
    Node node = Node.start(config);
    System.out.printf(
        "kv-server node %d of cluster '%s' serving gRPC on %s, metrics on port %d, data in %s%n",
        nodeId, clusterId, node.grpcAddress(), node.metricsPort(), dataDir);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "shutdown"));
    node.awaitTermination();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new NodeMain());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("kv-server: " + e.getMessage());
          return 1;
        });
    System.exit(cli.execute(args));
  }
}
