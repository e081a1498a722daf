package io.kvstore.client.cli;

import io.kvstore.client.Endpoint;
import io.kvstore.client.KvClient;
import io.kvstore.client.balance.LoadBalancingPolicy;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvctl}: the command line of kvstore, with etcdctl's habits. */
@Command(
    name = "kvctl",
    mixinStandardHelpOptions = true,
    version = "kvctl 0.1.0-SNAPSHOT",
    description = "Talks to a kvstore cluster.",
    footer = {"",
        "Exit status: 0 ok; 1 key not found or compare failed; 2 usage error (bad option, bad endpoint,",
        "missing file, a request the cluster refused as malformed); 3 the cluster could not be reached or",
        "did not answer within --timeout.",
        "Keys are UTF-8 text. Values: the VALUE argument, --file PATH, or stdin (binary-safe)."},
    subcommands = {PutCommand.class, GetCommand.class, DelCommand.class, ScanCommand.class, CasCommand.class,
        TxnCommand.class, ClusterCommand.class, MemberCommand.class, LeaseCommand.class, LockCommand.class,
        WatchCommand.class})
public final class Kvctl {

  @Option(
      names = "--endpoints",
      defaultValue = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003",
      description = "Nodes to talk to, HOST:PORT,... (default: the local cluster, ${DEFAULT-VALUE}).")
  String endpoints;

  @Option(
      names = "--timeout",
      defaultValue = "5s",
      description = "Deadline of each request, retries included: 500ms, 5s, 1m (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "Output format: table, json (stable, for scripts) or value (only the value's bytes)"
          + " (default: ${DEFAULT-VALUE}).")
  OutputFormat output;

  @Option(
      names = "--lb",
      defaultValue = "round-robin",
      description = "Load balancing among nodes: round-robin, weighted-round-robin, least-outstanding,"
          + " random (default: ${DEFAULT-VALUE}).")
  String lb;

  List<Endpoint> endpointList() {
    return Endpoint.parseList(endpoints);
  }

  Duration timeoutDuration() {
    return parseDuration("--timeout", timeout);
  }

  /** A duration as kvctl takes them: 500ms, 5s, 1m, or plain milliseconds; more than 0. */
  static Duration parseDuration(String option, String text) {
    String timeout = text;
    String t = text.trim();
    long millis;
    try {
      if (t.endsWith("ms")) {
        millis = Long.parseLong(t.substring(0, t.length() - 2));
      } else if (t.endsWith("s")) {
        millis = Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000);
      } else if (t.endsWith("m")) {
        millis = Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60_000);
      } else {
        millis = Long.parseLong(t);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad " + option + " '" + timeout + "': use e.g. 500ms, 5s or 1m");
    }
    if (millis <= 0) {
      throw new IllegalArgumentException("bad " + option + " '" + timeout + "': it must be more than 0, e.g. 5s");
    }
    return Duration.ofMillis(millis);
  }

  /** A client for this invocation: the caller closes it. */
  KvClient openClient() {
    Duration deadline = timeoutDuration();
    Duration attempt = deadline.compareTo(Duration.ofSeconds(2)) < 0 ? deadline : Duration.ofSeconds(2);
    return KvClient.builder()
        .seeds(endpointList())
        .deadline(deadline)
        .attemptTimeout(attempt)
        .loadBalancing(LoadBalancingPolicy.parse(lb))
        .build();
  }

  /** Builds the command line with kvctl's error handling: one-line messages, documented exit codes. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Kvctl());
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          ex.getCommandLine().getErr().println("kvctl: " + ex.getMessage());
          ex.getCommandLine().getErr().println("Run 'kvctl " + commandPath(ex.getCommandLine())
              + "--help' for usage.");
          return ExitCode.USAGE;
        });
    cli.setExecutionExceptionHandler(new Errors());
    return cli;
  }

  private static String commandPath(CommandLine cmd) {
    StringBuilder path = new StringBuilder();
    for (CommandLine c = cmd; c != null && c.getParent() != null; c = c.getParent()) {
      path.insert(0, c.getCommandName() + " ");
    }
    return path.toString();
  }

  /**
   * As {@link #commandLine()}, reading values from {@code stdin} and writing {@code -o value} bytes to
   * {@code rawStdout} (for tests that run kvctl in their JVM; not thread-safe: one run at a time).
   */
  public static CommandLine commandLine(java.io.InputStream stdin, java.io.OutputStream rawStdout) {
    Bytes.stdin = stdin;
    ClientCommand.rawStdout = rawStdout;
    return commandLine();
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
