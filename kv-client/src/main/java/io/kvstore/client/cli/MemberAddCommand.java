package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.AddMemberResponse;
import io.kvstore.proto.v1.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "add", mixinStandardHelpOptions = true,
    description = {"Adds a node, already listening at ADDRESS, to the cluster map; the cluster then moves",
        "replicas to it (follow with 'kvctl cluster status'). A node started with 'kv-server --join' adds",
        "itself: this command is for tools that start nodes another way."})
final class MemberAddCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The new node's id (1 or more, unused).") long id;
  @Parameters(index = "1", paramLabel = "ADDRESS", description = "HOST:PORT of the node's gRPC server.")
  String address;
  @Option(names = "--weight", defaultValue = "1", description = "Its share of replicas (default: ${DEFAULT-VALUE}).")
  int weight;

  @Override
  void validate() {
    if (id < 1) {
      throw new IllegalArgumentException("ID must be 1 or more, got " + id);
    }
    if (weight < 1) {
      throw new IllegalArgumentException("--weight must be 1 or more, got " + weight);
    }
    if (address.lastIndexOf(':') <= 0) {
      throw new IllegalArgumentException("ADDRESS must be HOST:PORT, got '" + address + "'");
    }
  }

  @Override
  int run(KvClient client) {
    AddMemberResponse r = client.blocking().addMember(
        Node.newBuilder().setId(id).setAddress(address).setWeight(weight).build());
    if (format() == OutputFormat.json) {
      out().println(Json.obj().put("id", id).put("address", address).put("weight", weight)
          .put("epoch", r.getMap().getEpoch()));
    } else {
      out().println("node " + id + " added at " + address + " (map epoch " + r.getMap().getEpoch() + ")");
    }
    return ExitCode.OK;
  }
}
