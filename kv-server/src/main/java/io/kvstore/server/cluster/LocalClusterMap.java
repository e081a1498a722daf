package io.kvstore.server.cluster;

import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.RoutingTable;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;

/**
 * This node's copy of the cluster map: the {@link RoutingTable} it routes with, plus the leader hints it
 * learns while serving (from its replicas and from the answers of forwarded requests).
 *
 * <p>Bootstrap ({@link #loadOrBootstrap}) is deterministic: every node given the same initial members,
 * shard count and replication factor computes the same map (epoch 1) through the ring in kv-client, and
 * keeps it in its data dir so a restart uses it. Afterwards the map group (Raft group 0 on the first
 * {@link #MAP_GROUP_SIZE} nodes) keeps the map; every node follows it and {@link #replace}s its copy,
 * persisted before it is used.
 *
 * <p>Thread-safe and lock-free: readers take an immutable snapshot.
 */
public final class LocalClusterMap {
  private final AtomicReference<RoutingTable> table;
  /** Where {@link #replace} persists a new map; null for a map that lives in memory only (tests). */
  private final ClusterMapFile file;

  public LocalClusterMap(RoutingTable table) {
    this(table, null);
  }

  private LocalClusterMap(RoutingTable table, ClusterMapFile file) {
    this.table = new AtomicReference<>(table);
    this.file = file;
  }

  /**
   * The map stored in {@code dataDir}, or, when there is none, the bootstrap map of a new cluster from
   * {@code initialNodes}, written to {@code dataDir} before it is returned.
   *
   * @throws IllegalStateException if the stored map belongs to another cluster id, or there is no stored
   *     map and no initial members to bootstrap from
   */
  public static LocalClusterMap loadOrBootstrap(
      Path dataDir,
      String clusterId,
      Collection<Node> initialNodes,
      int shardCount,
      int replicationFactor,
      Limits limits) {
    ClusterMapFile file = new ClusterMapFile(dataDir);
    Optional<ClusterMap> stored = file.read();
    if (stored.isPresent()) {
      ClusterMap map = stored.get();
      if (!map.getClusterId().equals(clusterId)) {
        throw new IllegalStateException(
            "the data dir "
                + dataDir
                + " belongs to cluster '"
                + map.getClusterId()
                + "', not '"
                + clusterId
                + "'; use --cluster-id "
                + map.getClusterId()
                + " or another data dir");
      }
      return new LocalClusterMap(RoutingTable.of(map), file);
    }
    if (initialNodes.isEmpty()) {
      throw new IllegalStateException(
          "the data dir "
              + dataDir
              + " holds no cluster map and no initial cluster was given: pass --initial-cluster");
    }
    RoutingTable ring =
        RoutingTable.bootstrap(clusterId, initialNodes, shardCount, replicationFactor, limits);
    // The map group (Raft group 0, which keeps the map once the cluster runs): the first nodes listed.
    RoutingTable bootstrap = RoutingTable.of(ring.toClusterMap().toBuilder()
        .addAllMapGroupNodes(initialNodes.stream().limit(MAP_GROUP_SIZE).map(Node::getId).toList())
        .build());
    file.write(bootstrap.toClusterMap());
    return new LocalClusterMap(bootstrap, file);
  }

  /** How many nodes keep the map group: the first ones of the bootstrap list. */
  public static final int MAP_GROUP_SIZE = 3;

  /**
   * Makes {@code next} (a newer map of this cluster) the current one: persisted first (durable on return),
   * then published, carrying over the leader hints learned so far. Ignored (false) when its epoch is not
   * newer or it belongs to another cluster. Blocks on disk I/O; one caller at a time.
   *
   * @throws io.kvstore.ring.InvalidClusterMapException when {@code next} breaks a rule of cluster.proto
   */
  public synchronized boolean replace(ClusterMap next) {
    RoutingTable current = table.get();
    if (!next.getClusterId().equals(current.clusterId()) || next.getEpoch() <= current.epoch()) {
      return false;
    }
    RoutingTable replaced = RoutingTable.of(next);
    if (file != null) {
      file.write(next);
    }
    for (Shard s : current.shards()) {
      replaced = replaced.withLeaderHint(s.getId(), s.getLeaderNodeId(), s.getLeaderTerm());
    }
    RoutingTable hinted = replaced;
    // Hints learned while this ran are kept too (withLeaderHint ignores stale news).
    table.getAndUpdate(t -> {
      RoutingTable out = hinted;
      for (Shard s : t.shards()) {
        out = out.withLeaderHint(s.getId(), s.getLeaderNodeId(), s.getLeaderTerm());
      }
      return out;
    });
    return true;
  }

  /** The current snapshot, with the leader hints learned so far. */
  public RoutingTable table() {
    return table.get();
  }

  public String clusterId() {
    return table.get().clusterId();
  }

  public long epoch() {
    return table.get().epoch();
  }

  public Limits limits() {
    return table.get().limits();
  }

  /** The node with this id, if it is in the map. */
  public Optional<Node> node(long nodeId) {
    return table.get().node(nodeId);
  }

  /** The ids of the nodes holding a replica of the shard, in the map's (preference) order. */
  public List<Long> replicaNodes(long shardId) {
    return table
        .get()
        .shard(shardId)
        .map(s -> s.getReplicasList().stream().map(r -> r.getNodeId()).toList())
        .orElse(List.of());
  }

  /**
   * Records that {@code nodeId} leads the shard in {@code term} (stale news is ignored; see {@link
   * RoutingTable#withLeaderHint}).
   */
  public void learnLeader(long shardId, long nodeId, long term) {
    if (nodeId == 0 || term == 0) {
      return;
    }
    table.updateAndGet(t -> t.withLeaderHint(shardId, nodeId, term));
  }

  /**
   * The map to serve: this copy with, for each shard, the newer of the learned hint and what {@code
   * liveHint} says now (a local replica's view; may return null for shards with no local replica).
   */
  public ClusterMap toClusterMap(LongFunction<long[]> liveHint) {
    RoutingTable t = table.get();
    for (Shard shard : t.shards()) {
      long[] hint = liveHint.apply(shard.getId());
      if (hint != null) {
        t = t.withLeaderHint(shard.getId(), hint[0], hint[1]);
      }
    }
    return t.toClusterMap();
  }
}
