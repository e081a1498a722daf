package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.ListMembersResponse;
import io.kvstore.proto.v1.RemoveMemberResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "remove", mixinStandardHelpOptions = true,
    description = {"Drains node ID (its replicas move to the nodes the ring names next), then removes it",
        "from the map. Refused when too few nodes would remain for every shard's replicas. With --wait,",
        "returns once the node has left the map (exit 3 if it has not within --wait-timeout)."})
final class MemberRemoveCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") long id;
  @Option(names = "--wait", description = "Wait until the node has left the map.") boolean await;
  @Option(names = "--wait-timeout", defaultValue = "PT10M",
      description = "How long --wait waits, as an ISO-8601 duration (default: ${DEFAULT-VALUE}).")
  Duration waitTimeout;

  @Override
  int run(KvClient client) {
    RemoveMemberResponse r = client.blocking().removeMember(id);
    if (format() != OutputFormat.json) {
      out().println("node " + id + " is leaving: " + r.getReplicasToMove() + " replicas to move (map epoch "
          + r.getEpoch() + ")");
      out().flush();
    }
    boolean left = false;
    if (await) {
      long deadline = System.nanoTime() + waitTimeout.toNanos();
      while (System.nanoTime() - deadline < 0) {
        ListMembersResponse members = client.blocking().listMembers();
        if (members.getMembersList().stream().noneMatch(m -> m.getNode().getId() == id)) {
          left = true;
          break;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
      }
    }
    if (format() == OutputFormat.json) {
      out().println(Json.obj().put("id", id).put("epoch", r.getEpoch()).put("replicas_to_move", r.getReplicasToMove())
          .put("left", left));
    } else if (await) {
      out().println(left ? "node " + id + " has left the cluster" : "node " + id + " is still draining");
    }
    return await && !left ? ExitCode.UNREACHABLE : ExitCode.OK;
  }
}
