package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.ShardStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"The cluster map's epoch; each node (reachable or not, epoch, shards it hosts and leads,",
        "version, uptime); each shard (leader, term, applied and commit index on the leader, replicas)."})
final class ClusterStatusCommand extends ClientCommand {

  /** What one node said about itself, or why it said nothing. */
  private record NodeAnswer(Node node, NodeStatus status, String error) {}

  @Override
  int run(KvClient client) {
    ClusterMap map = client.blocking().clusterMap();
    // A down node should not hold the whole command for the full --timeout.
    Duration perNode = client.deadline().compareTo(Duration.ofSeconds(2)) < 0 ? client.deadline()
        : Duration.ofSeconds(2);
    KvClient quick = client.withDeadline(perNode);
    List<CompletableFuture<NodeAnswer>> asks = new ArrayList<>();
    for (Node n : map.getNodesList()) {
      asks.add(quick.nodeStatus(n.getAddress()).handle((s, e) -> new NodeAnswer(n, s,
          e == null ? null : "unreachable")));
    }
    List<NodeAnswer> answers = asks.stream().map(CompletableFuture::join).toList();

    // The freshest word on each shard: the replica that says it leads, in the highest term.
    Map<Long, ShardStatus> leaderStatus = new TreeMap<>();
    Map<Long, Long> leaderNode = new TreeMap<>();
    for (NodeAnswer a : answers) {
      if (a.status == null) {
        continue;
      }
      for (ShardStatus s : a.status.getShardsList()) {
        if (s.getRole() == RaftRole.RAFT_ROLE_LEADER) {
          ShardStatus known = leaderStatus.get(s.getShardId());
          if (known == null || s.getTerm() > known.getTerm()) {
            leaderStatus.put(s.getShardId(), s);
            leaderNode.put(s.getShardId(), a.node.getId());
          }
        }
      }
    }
    // "shard:node" of the replicas still catching up (a move's new replica before its promotion).
    java.util.Set<String> learners = new java.util.HashSet<>();
    for (Shard s : map.getShardsList()) {
      for (Replica r : s.getReplicasList()) {
        if (r.getRole() == io.kvstore.proto.v1.ReplicaRole.REPLICA_ROLE_LEARNER) {
          learners.add(s.getId() + ":" + r.getNodeId());
        }
      }
    }
    Map<Long, List<Long>> replicas = new LinkedHashMap<>();
    Map<Long, Long> hints = new TreeMap<>();
    for (Shard s : map.getShardsList()) {
      replicas.put(s.getId(), s.getReplicasList().stream().map(Replica::getNodeId).toList());
      hints.put(s.getId(), s.getLeaderNodeId());
    }
    for (Long id : leaderStatus.keySet()) {
      replicas.putIfAbsent(id, List.of());
    }

    if (format() == OutputFormat.json) {
      List<Object> nodes = new ArrayList<>();
      for (NodeAnswer a : answers) {
        Json.Obj o = Json.obj().put("id", a.node.getId()).put("address", a.node.getAddress())
            .put("reachable", a.status != null);
        if (a.status != null) {
          o.put("epoch", a.status.getEpoch()).put("version", a.status.getVersion())
              .put("uptime_ms", a.status.getUptimeMs()).put("shards", a.status.getShardsCount())
              .put("leaders", leaders(a.status));
        }
        nodes.add(o);
      }
      List<Object> shards = new ArrayList<>();
      replicas.forEach((id, reps) -> {
        ShardStatus s = leaderStatus.get(id);
        shards.add(Json.obj().put("id", id)
            .put("leader", s != null ? leaderNode.get(id) : hints.getOrDefault(id, 0L))
            .put("term", s == null ? 0 : s.getTerm())
            .put("applied_index", s == null ? 0 : s.getAppliedIndex())
            .put("commit_index", s == null ? 0 : s.getCommitIndex())
            .put("replicas", new ArrayList<Object>(reps)));
      });
      out().println(Json.obj().put("cluster_id", map.getClusterId()).put("epoch", map.getEpoch())
          .put("nodes", nodes).put("shards", shards).put("moves", MemberListCommand.moves(map.getMovesList())));
      return ExitCode.OK;
    }

    out().println("CLUSTER " + map.getClusterId() + "  EPOCH " + map.getEpoch());
    out().println();
    List<String[]> nodeRows = new ArrayList<>();
    for (NodeAnswer a : answers) {
      NodeStatus s = a.status;
      nodeRows.add(new String[] {Long.toString(a.node.getId()), a.node.getAddress(),
          s == null ? "UNREACHABLE" : "UP", s == null ? "-" : Long.toString(s.getEpoch()),
          s == null ? "-" : Integer.toString(s.getShardsCount()), s == null ? "-" : Long.toString(leaders(s)),
          s == null ? "-" : s.getVersion(), s == null ? "-" : (s.getUptimeMs() / 1000) + "s"});
    }
    Table.print(out(), new String[] {"ID", "ADDRESS", "STATUS", "EPOCH", "SHARDS", "LEADERS", "VERSION",
        "UPTIME"}, nodeRows);
    out().println();
    List<String[]> shardRows = new ArrayList<>();
    replicas.forEach((id, reps) -> {
      ShardStatus s = leaderStatus.get(id);
      long leader = s != null ? leaderNode.get(id) : hints.getOrDefault(id, 0L);
      List<String> shown = reps.stream().map(n -> learners.contains(id + ":" + n) ? n + "(learner)" : String.valueOf(n))
          .toList();
      shardRows.add(new String[] {Long.toString(id), leader == 0 ? "-" : Long.toString(leader),
          s == null ? "-" : Long.toString(s.getTerm()), s == null ? "-" : Long.toString(s.getAppliedIndex()),
          String.join(",", shown)});
    });
    Table.print(out(), new String[] {"SHARD", "LEADER", "TERM", "APPLIED", "REPLICAS"}, shardRows);
    MemberListCommand.printMoves(this, map.getMovesList());
    return ExitCode.OK;
  }

  private static long leaders(NodeStatus s) {
    return s.getShardsList().stream().filter(x -> x.getRole() == RaftRole.RAFT_ROLE_LEADER).count();
  }
}
