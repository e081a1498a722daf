package io.kvstore.client.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.client.Endpoint;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.NodeStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kvctl}: the command line of kvstore, with etcdctl's habits. */
@Command(
    name = "kvctl",
    mixinStandardHelpOptions = true,
    version = "kvctl 0.1.0-SNAPSHOT",
    description = "Talks to a kvstore cluster.",
    subcommands = {Kvctl.ClusterCommand.class, Kvctl.MemberCommand.class})
public final class Kvctl {

  @Option(
      names = "--endpoints",
      defaultValue = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003",
      description = "Nodes to talk to, HOST:PORT,... (default: the local cluster, ${DEFAULT-VALUE}).")
  String endpoints;

  @Option(
      names = "--timeout",
      defaultValue = "5s",
      description = "Deadline of each request: 500ms, 5s, 1m (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "Output format: table or json (default: ${DEFAULT-VALUE}).")
  OutputFormat output;

  /** Output formats. */
  public enum OutputFormat {
    table,
    json
  }

  List<Endpoint> endpointList() {
    return Endpoint.parseList(endpoints);
  }

  long timeoutMillis() {
    String t = timeout.trim();
    try {
      if (t.endsWith("ms")) {
        return Long.parseLong(t.substring(0, t.length() - 2));
      }
      if (t.endsWith("s")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000);
      }
      if (t.endsWith("m")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60_000);
      }
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad --timeout '" + timeout + "': use e.g. 500ms, 5s or 1m");
    }
  }

  static ManagedChannel channel(Endpoint e) {
    return NettyChannelBuilder.forAddress(e.host(), e.port()).usePlaintext().build();
  }

  /** {@code kvctl cluster status}. */
  @Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster-wide views.",
      subcommands = {ClusterStatus.class})
  static final class ClusterCommand {}

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Each node's address, health, version and uptime.")
  static final class ClusterStatus implements java.util.concurrent.Callable<Integer> {
    @ParentCommand ClusterCommand parent;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Kvctl root = (Kvctl) spec.parent().parent().userObject();
      PrintWriter out = spec.commandLine().getOut();
      List<String[]> rows = new ArrayList<>();
      List<String> json = new ArrayList<>();
      int reachable = 0;
      for (Endpoint e : root.endpointList()) {
        ManagedChannel ch = channel(e);
        try {
          String health =
              HealthGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(root.timeoutMillis(), TimeUnit.MILLISECONDS)
                  .check(HealthCheckRequest.getDefaultInstance())
                  .getStatus()
                  .name();
          NodeStatus s =
              ClusterGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(root.timeoutMillis(), TimeUnit.MILLISECONDS)
                  .getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
          reachable++;
          rows.add(new String[] {
              e.toString(), Long.toString(s.getNode().getId()), health, s.getClusterId(),
              Long.toString(s.getEpoch()), Integer.toString(s.getShardsCount()),
              s.getVersion(), (s.getUptimeMs() / 1000) + "s"});
          json.add(String.format(
              "{\"endpoint\":\"%s\",\"node_id\":%d,\"health\":\"%s\",\"cluster_id\":\"%s\",\"epoch\":%d,"
                  + "\"shards\":%d,\"version\":\"%s\",\"uptime_ms\":%d}",
              e, s.getNode().getId(), health, s.getClusterId(), s.getEpoch(), s.getShardsCount(),
              s.getVersion(), s.getUptimeMs()));
        } catch (StatusRuntimeException ex) {
          rows.add(new String[] {e.toString(), "-", "UNREACHABLE", "-", "-", "-", "-", "-"});
          json.add(String.format("{\"endpoint\":\"%s\",\"health\":\"UNREACHABLE\",\"error\":\"%s\"}",
              e, ex.getStatus().getCode()));
        } finally {
          ch.shutdownNow();
        }
      }
      if (root.output == OutputFormat.json) {
        out.println("[" + String.join(",", json) + "]");
      } else {
        Table.print(out, new String[] {"ENDPOINT", "ID", "HEALTH", "CLUSTER", "EPOCH", "SHARDS", "VERSION", "UPTIME"}, rows);
      }
      out.flush();
      if (reachable == 0) {
        spec.commandLine().getErr().println(
            "kvctl: no node answered at " + root.endpoints + "; is the cluster running? (scripts/cluster start)");
        return ExitCode.UNREACHABLE;
      }
      return ExitCode.OK;
    }
  }

  /** {@code kvctl member list}. */
  @Command(name = "member", mixinStandardHelpOptions = true, description = "Cluster membership.",
      subcommands = {MemberList.class})
  static final class MemberCommand {}

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The nodes of the cluster map, as the first reachable endpoint knows them.")
  static final class MemberList implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Kvctl root = (Kvctl) spec.parent().parent().userObject();
      PrintWriter out = spec.commandLine().getOut();
      for (Endpoint e : root.endpointList()) {
        ManagedChannel ch = channel(e);
        try {
          ClusterMap map =
              ClusterGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(root.timeoutMillis(), TimeUnit.MILLISECONDS)
                  .getClusterMap(GetClusterMapRequest.getDefaultInstance());
          if (root.output == OutputFormat.json) {
            List<String> nodes = new ArrayList<>();
            map.getNodesList().forEach(n -> nodes.add(String.format(
                "{\"id\":%d,\"address\":\"%s\",\"weight\":%d,\"state\":\"%s\"}",
                n.getId(), n.getAddress(), n.getWeight(), n.getState().name())));
            out.println("{\"cluster_id\":\"" + map.getClusterId() + "\",\"epoch\":" + map.getEpoch()
                + ",\"members\":[" + String.join(",", nodes) + "]}");
          } else {
            List<String[]> rows = new ArrayList<>();
            map.getNodesList().forEach(n -> rows.add(new String[] {
                Long.toString(n.getId()), n.getAddress(), Integer.toString(n.getWeight()),
                n.getState().name(), n.getMetricsAddress()}));
            Table.print(out, new String[] {"ID", "ADDRESS", "WEIGHT", "STATE", "METRICS"}, rows);
          }
          out.flush();
          return ExitCode.OK;
        } catch (StatusRuntimeException ex) {
          // try the next endpoint
        } finally {
          ch.shutdownNow();
        }
      }
      spec.commandLine().getErr().println(
          "kvctl: no node answered at " + root.endpoints + "; is the cluster running? (scripts/cluster start)");
      return ExitCode.UNREACHABLE;
    }
  }

  /** Builds the command line with kvctl's error handling: one-line messages, documented exit codes. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Kvctl());
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          ex.getCommandLine().getErr().println("kvctl: " + ex.getMessage());
          ex.getCommandLine().getErr().println("Run 'kvctl --help' for usage.");
          return ExitCode.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof IllegalArgumentException) {
            cmd.getErr().println("kvctl: " + ex.getMessage());
            return ExitCode.USAGE;
          }
          throw ex;
        });
    return cli;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
