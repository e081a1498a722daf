package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.ClusterMap;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "list", mixinStandardHelpOptions = true,
    description = "The nodes of the cluster map: id, address, weight, state, metrics address.")
final class MemberListCommand extends ClientCommand {
  @Override
  int run(KvClient client) {
    ClusterMap map = client.blocking().clusterMap();
    if (format() == OutputFormat.json) {
      List<Object> nodes = new ArrayList<>();
      map.getNodesList().forEach(n -> nodes.add(Json.obj().put("id", n.getId()).put("address", n.getAddress())
          .put("weight", n.getWeight()).put("state", n.getState().name()).put("metrics_address",
              n.getMetricsAddress())));
      out().println(Json.obj().put("cluster_id", map.getClusterId()).put("epoch", map.getEpoch())
          .put("members", nodes));
    } else if (format() == OutputFormat.value) {
      map.getNodesList().forEach(n -> out().println(n.getAddress()));
    } else {
      List<String[]> rows = new ArrayList<>();
      map.getNodesList().forEach(n -> rows.add(new String[] {
          Long.toString(n.getId()), n.getAddress(), Integer.toString(n.getWeight()),
          n.getState().name().replace("NODE_STATE_", ""), n.getMetricsAddress()}));
      Table.print(out(), new String[] {"ID", "ADDRESS", "WEIGHT", "STATE", "METRICS"}, rows);
    }
    return ExitCode.OK;
  }
}
