package io.kvstore.server.membership;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.grpc.PeerChannels;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.replica.ShardReplicas;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's map current: a member of the map group reads the record from its own replica, any
 * other node asks a map-group node ({@code GetMapRecord} with its epoch, so an unchanged map costs a few
 * bytes). A newer record becomes the node's map: persisted to {@code cluster-map.pb}, published to the
 * services, then the replicas follow it (created or dropped).
 *
 * <p>Thread-safe; {@link #pass} blocks for at most a few seconds.
 */
final class MapFollower {
  private static final Logger log = LoggerFactory.getLogger(MapFollower.class);
  private static final long DEADLINE_MS = 2_000;
  /** A member of the map group asks the other members on one pass in this many. */
  private static final int ASK_OTHERS_EVERY = 10;

  private final long selfId;
  private final LocalClusterMap map;
  private final ShardReplicas replicas;
  private final PeerChannels channels;
  private int next;
  private int passesSinceAsked;
  /** The version of the map group's record this node's replica last showed (decoded only when it changes). */
  private long localVersion = -1;
  /** The last reconcile left work for later (see ShardReplicas.reconcile). */
  private volatile boolean reconcilePending = true;

  MapFollower(long selfId, LocalClusterMap map, ShardReplicas replicas, PeerChannels channels) {
    this.selfId = selfId;
    this.map = map;
    this.replicas = replicas;
    this.channels = channels;
  }

  /** One check for a newer map; failures are left for the next pass. */
  void pass() {
    try {
      fetch().ifPresent(this::apply);
      if (reconcilePending) {
        // Again with the current map: a replica whose creation had to wait (see NodeReplicas) is made now.
        reconcilePending = !replicas.reconcile(map.table().toClusterMap());
      }
    } catch (RuntimeException e) {
      localVersion = -1; // decode the local record again next time: this pass may not have applied it
      log.debug("node {}: cannot fetch the cluster map: {}", selfId, e.toString());
    }
  }

  private Optional<ClusterMap> fetch() {
    if (replicas.status(MapRecords.MAP_GROUP).isPresent()) {
      Optional<ClusterMap> local = readLocal();
      // A replica of the map group that is still catching up (it just joined the group) may hold an old
      // record or none, and one just removed from the group holds the record of its removal's eve.
      if (local.isPresent() && local.get().getEpoch() > map.epoch()) {
        return local;
      }
      // Nothing newer here: ask the others too, since this replica may have been removed from the group
      // (it then hears of no change any more, the one that removed it included). That is rare and a
      // matter of seconds, so only every few passes: every call costs both nodes CPU.
      if (passesSinceAsked++ % ASK_OTHERS_EVERY != 0) {
        return Optional.empty();
      }
    }
    List<Long> holders = map.table().toClusterMap().getMapGroupNodesList();
    for (int i = 0; i < holders.size(); i++) {
      long node = holders.get((next + i) % holders.size());
      if (node == selfId) {
        continue;
      }
      Channel ch = channels.channelTo(node);
      if (ch == null) {
        continue;
      }
      try {
        ClusterMap rec = NodeInternalGrpc.newBlockingStub(ch).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
            .getMapRecord(GetClusterMapRequest.newBuilder().setKnownEpoch(map.epoch()).build());
        return rec.getUnchanged() ? Optional.empty() : Optional.of(rec);
      } catch (StatusRuntimeException e) {
        next++; // ask another holder next time
      }
    }
    return Optional.empty();
  }

  private Optional<ClusterMap> readLocal() {
    try {
      Optional<MapGroup.Versioned> v = MapGroup.readIfChanged(replicas, Consistency.CONSISTENCY_STALE, localVersion)
          .get(DEADLINE_MS, TimeUnit.MILLISECONDS);
      v.ifPresent(versioned -> localVersion = versioned.version());
      return v.map(MapGroup.Versioned::record);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException | TimeoutException e) {
      return Optional.empty();
    }
  }

  /** Makes {@code record} this node's map if it is newer; then the replicas follow it. */
  synchronized void apply(ClusterMap record) {
    if (!record.getClusterId().equals(map.clusterId()) || record.getEpoch() <= map.epoch()) {
      return;
    }
    ClusterMap full = MapRecords.merge(record, map.table());
    boolean wasMember = map.node(selfId).isPresent();
    if (!map.replace(full)) {
      return;
    }
    log.info("node {}: cluster map epoch {} ({} nodes, {} moves in flight)", selfId, full.getEpoch(),
        full.getNodesCount(), full.getMovesCount());
    reconcilePending = !replicas.reconcile(full);
    if (wasMember && full.getNodesList().stream().noneMatch(n -> n.getId() == selfId)) {
      log.warn("node {}: removed from cluster '{}'; it holds no replicas and may be stopped", selfId,
          full.getClusterId());
    }
  }
}
