package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.ListMembersResponse;
import io.kvstore.proto.v1.Member;
import io.kvstore.proto.v1.Move;
import io.kvstore.proto.v1.Node;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "list", mixinStandardHelpOptions = true,
    description = {"The nodes of the cluster map: id, address, weight, state (UP, DOWN, LEAVING), replicas",
        "and leaders held, metrics address; then the replica moves in flight."})
final class MemberListCommand extends ClientCommand {
  @Override
  int run(KvClient client) {
    ListMembersResponse members = client.blocking().listMembers();
    if (format() == OutputFormat.json) {
      List<Object> nodes = new ArrayList<>();
      for (Member m : members.getMembersList()) {
        Node n = m.getNode();
        nodes.add(Json.obj().put("id", n.getId()).put("address", n.getAddress()).put("weight", n.getWeight())
            .put("state", n.getState().name()).put("replicas", m.getReplicas()).put("leaders", m.getLeaders())
            .put("metrics_address", n.getMetricsAddress()));
      }
      out().println(Json.obj().put("epoch", members.getEpoch()).put("members", nodes)
          .put("moves", moves(members.getMovesList())));
    } else if (format() == OutputFormat.value) {
      members.getMembersList().forEach(m -> out().println(m.getNode().getAddress()));
    } else {
      List<String[]> rows = new ArrayList<>();
      for (Member m : members.getMembersList()) {
        Node n = m.getNode();
        rows.add(new String[] {Long.toString(n.getId()), n.getAddress(), Integer.toString(n.getWeight()),
            n.getState().name().replace("NODE_STATE_", ""), Integer.toString(m.getReplicas()),
            Integer.toString(m.getLeaders()), n.getMetricsAddress()});
      }
      Table.print(out(), new String[] {"ID", "ADDRESS", "WEIGHT", "STATE", "REPLICAS", "LEADERS", "METRICS"}, rows);
      printMoves(this, members.getMovesList());
    }
    return ExitCode.OK;
  }

  static List<Object> moves(List<Move> moves) {
    List<Object> out = new ArrayList<>();
    for (Move m : moves) {
      out.add(Json.obj().put("shard", m.getShardId()).put("from", m.getFromNodeId()).put("to", m.getToNodeId())
          .put("step", m.getStep().name()).put("started_at_ms", m.getStartedAtMs()));
    }
    return out;
  }

  /** The moves in flight as a table (nothing when there are none). */
  static void printMoves(ClientCommand c, List<Move> moves) {
    if (moves.isEmpty()) {
      return;
    }
    c.out().println();
    List<String[]> rows = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (Move m : moves) {
      rows.add(new String[] {Long.toString(m.getShardId()), m.getFromNodeId() == 0 ? "-" : Long.toString(m.getFromNodeId()),
          Long.toString(m.getToNodeId()), m.getStep().name().replace("MOVE_STEP_", ""),
          Math.max(0, (now - m.getStartedAtMs()) / 1000) + "s"});
    }
    Table.print(c.out(), new String[] {"MOVING SHARD", "FROM", "TO", "STEP", "FOR"}, rows);
  }
}
