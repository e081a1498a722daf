package io.kvstore.server.membership;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.proto.v1.AddMemberRequest;
import io.kvstore.proto.v1.AddMemberResponse;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.proto.ChangeReplicasRequest;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.ListMembersResponse;
import io.kvstore.proto.v1.Member;
import io.kvstore.proto.v1.Move;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.RemoveMemberRequest;
import io.kvstore.proto.v1.RemoveMemberResponse;
import io.kvstore.proto.v1.Shard;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.grpc.PeerChannels;
import io.kvstore.server.replica.LeaderHint;
import io.kvstore.server.replica.ShardReplicas;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elastic membership on one node: the Cluster service's AddMember / RemoveMember / ListMembers, the
 * {@link MapFollower} that keeps the node's map current, and, while this node leads the map group, the
 * {@link PlacementDriver} that moves replicas.
 *
 * <p>Every change of the map happens on this node's membership thread, and only while it leads the map
 * group: read the record (linearizable), compute the next one ({@link MembershipChanges}), store it with a
 * compare-and-swap on its version. Requests reaching another node are forwarded to the map group's
 * leader (at most two hops: a node outside the map group forwards to a map-group node, which forwards to
 * its leader). So concurrent requests serialize, and a leader change between the read and the swap makes
 * the swap fail instead of applying a change computed from an old map.
 *
 * <p>Thread-safe; request methods return at once.
 */
public final class MembershipCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MembershipCoordinator.class);
  private static final long GROUP_CALL_MS = 5_000;
  private static final long PROBE_MS = 2_000;
  private static final long FORWARD_MS = 20_000;
  private static final int CAS_ATTEMPTS = 5;
  private static final long LEADER_WAIT_MS = 10_000;
  private static final long LEADER_POLL_MS = 20;

  private final long selfId;
  private final LocalClusterMap map;
  private final ShardReplicas replicas;
  private final PeerChannels channels;
  private final Executor forwarding;
  private final MembershipOptions options;
  private final MapFollower follower;
  private final PlacementDriver driver;
  private final MoveMetrics metrics;
  private final ScheduledExecutorService changes;
  private final ScheduledExecutorService following;
  private final Supplier<ClusterMap> served;
  private final NodeLiveness liveness;

  /**
   * @param served the map this node serves (with the leader hints of its replicas), for ListMembers
   */
  public MembershipCoordinator(long selfId, LocalClusterMap map, ShardReplicas replicas, PeerChannels channels,
      Executor forwarding, PrometheusRegistry registry, MembershipOptions options,
      Supplier<ClusterMap> served) {
    this.selfId = selfId;
    this.served = served;
    this.map = map;
    this.replicas = replicas;
    this.channels = channels;
    this.forwarding = forwarding;
    this.options = options;
    this.follower = new MapFollower(selfId, map, replicas, channels);
    this.metrics = new MoveMetrics(registry, () -> map.table().toClusterMap().getMovesCount());
    this.driver = new PlacementDriver(selfId, map.clusterId(), channels, metrics, options,
        shard -> map.table().leaderHint(shard));
    this.liveness = new NodeLiveness(selfId, channels, forwarding, System::nanoTime);
    this.changes = Executors.newSingleThreadScheduledExecutor(daemon("kv-membership-" + selfId));
    this.following = Executors.newSingleThreadScheduledExecutor(daemon("kv-map-follower-" + selfId));
  }

  /** Starts following the map and, when leading the map group, driving the moves. */
  public void start() {
    long follow = options.followPeriod().toMillis();
    following.scheduleWithFixedDelay(follower::pass, follow, follow, TimeUnit.MILLISECONDS);
    // Often enough to notice a silent node well within the failure timeout, at most once a second.
    long probe = Math.max(follow, Math.min(1_000, options.failureTimeout().toMillis() / 4));
    following.scheduleWithFixedDelay(() -> liveness.probe(map.table().nodes()), probe, probe, TimeUnit.MILLISECONDS);
    long drive = options.driverPeriod().toMillis();
    changes.scheduleWithFixedDelay(this::drivePass, drive, drive, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- requests

  /** AddMember (cluster.proto); {@code forwardedBy} is the node that forwarded the call, 0 if none. */
  public CompletableFuture<AddMemberResponse> addMember(AddMemberRequest request, long forwardedBy) {
    if (!request.getClusterId().equals(map.clusterId())) {
      return CompletableFuture.failedFuture(clusterMismatch(request.getClusterId()));
    }
    return route(forwardedBy, () -> add(request.getNode()), ch -> ClusterGrpc.newBlockingStub(ch)
        .withDeadlineAfter(FORWARD_MS, TimeUnit.MILLISECONDS).addMember(request));
  }

  /** RemoveMember (cluster.proto); {@code forwardedBy} as for {@link #addMember}. */
  public CompletableFuture<RemoveMemberResponse> removeMember(RemoveMemberRequest request, long forwardedBy) {
    if (!request.getClusterId().isEmpty() && !request.getClusterId().equals(map.clusterId())) {
      return CompletableFuture.failedFuture(clusterMismatch(request.getClusterId()));
    }
    return route(forwardedBy, () -> remove(request.getNodeId()), ch -> ClusterGrpc.newBlockingStub(ch)
        .withDeadlineAfter(FORWARD_MS, TimeUnit.MILLISECONDS).removeMember(request));
  }

  /** ListMembers (cluster.proto), from this node's map. */
  public ListMembersResponse listMembers() {
    ClusterMap m = served.get();
    Map<Long, Integer> held = MembershipChanges.replicaCounts(m);
    Map<Long, Integer> leading = new HashMap<>();
    for (Shard s : m.getShardsList()) {
      if (s.getLeaderNodeId() != 0) {
        leading.merge(s.getLeaderNodeId(), 1, Integer::sum);
      }
    }
    ListMembersResponse.Builder b = ListMembersResponse.newBuilder().setEpoch(m.getEpoch()).addAllMoves(m.getMovesList());
    for (Node n : m.getNodesList()) {
      b.addMembers(Member.newBuilder().setNode(n).setReplicas(held.getOrDefault(n.getId(), 0))
          .setLeaders(leading.getOrDefault(n.getId(), 0)));
    }
    return b.build();
  }

  private StatusRuntimeException clusterMismatch(String asked) {
    return Status.FAILED_PRECONDITION.withDescription("this node belongs to cluster '" + map.clusterId()
        + "', not '" + asked + "'; point the request at a node of that cluster or fix --cluster-id")
        .asRuntimeException();
  }

  private AddMemberResponse add(Node node) {
    probe(node);
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      MapGroup.Versioned v = readRecord();
      ClusterMap next = MembershipChanges.addNode(v.record(), node);
      if (next == v.record() || store(v.version(), next)) {
        if (next != v.record()) {
          log.info("node {} joined cluster '{}' at {} (weight {}), map epoch {}", node.getId(), map.clusterId(),
              node.getAddress(), Math.max(1, node.getWeight()), next.getEpoch());
        }
        return AddMemberResponse.newBuilder().setMap(MapRecords.merge(next, map.table())).build();
      }
    }
    throw Status.ABORTED.withDescription("the cluster map kept changing under the request; retry").asRuntimeException();
  }

  private RemoveMemberResponse remove(long nodeId) {
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      MapGroup.Versioned v = readRecord();
      ClusterMap next = MembershipChanges.markLeaving(v.record(), nodeId);
      if (next == v.record() || store(v.version(), next)) {
        if (next != v.record()) {
          log.info("node {} is leaving cluster '{}': its replicas move away (map epoch {})", nodeId,
              map.clusterId(), next.getEpoch());
        }
        return RemoveMemberResponse.newBuilder().setEpoch(next.getEpoch())
            .setReplicasToMove(MembershipChanges.replicaCounts(next).getOrDefault(nodeId, 0)).build();
      }
    }
    throw Status.ABORTED.withDescription("the cluster map kept changing under the request; retry").asRuntimeException();
  }

  /** A joining node must already answer at its address (any gRPC answer will do: it may be starting). */
  private static void probe(Node node) {
    String address = node.getAddress();
    if (address.lastIndexOf(':') <= 0) {
      throw new MembershipException(Status.Code.INVALID_ARGUMENT,
          "node " + node.getId() + ": the address must be HOST:PORT, got '" + address + "'");
    }
    ManagedChannel ch = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      HealthGrpc.newBlockingStub(ch).withDeadlineAfter(PROBE_MS, TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
        throw new MembershipException(Status.Code.UNAVAILABLE, "node " + node.getId() + "'s address " + address
            + " does not answer (" + code + "); start the node listening there first");
      }
    } finally {
      ch.shutdownNow();
    }
  }

  /**
   * Runs {@code local} on the membership thread if this node leads the map group, else forwards the call
   * to the node that does. Like etcd, a request that arrives during an election waits for its outcome (up
   * to {@link #LEADER_WAIT_MS}) instead of failing: a freshly started cluster or a leader change is not
   * the caller's problem.
   */
  private <T> CompletableFuture<T> route(long forwardedBy, Supplier<T> local,
      Function<Channel, T> forwarded) {
    CompletableFuture<T> result = new CompletableFuture<>();
    routeAttempt(forwardedBy, local, forwarded, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEADER_WAIT_MS),
        result);
    return result;
  }

  private <T> void routeAttempt(long forwardedBy, Supplier<T> local,
      Function<Channel, T> forwarded, long giveUpAt, CompletableFuture<T> result) {
    try {
      if (leadsMapGroup()) {
        CompletableFuture.supplyAsync(local, changes).whenComplete(MembershipCoordinator.completing(result));
        return;
      }
      Channel ch = forwardTarget(forwardedBy);
      if (ch != null) {
        CompletableFuture.supplyAsync(() -> forwarded.apply(ch), forwarding)
            .whenComplete(MembershipCoordinator.completing(result));
        return;
      }
      if (System.nanoTime() - giveUpAt >= 0) {
        result.completeExceptionally(Status.UNAVAILABLE.withDescription("node " + selfId
            + " has known no leader of the cluster-map group for " + LEADER_WAIT_MS / 1000
            + " s (is a majority of its nodes " + map.table().toClusterMap().getMapGroupNodesList()
            + " up?); retry shortly").asRuntimeException());
        return;
      }
      following.schedule(() -> routeAttempt(forwardedBy, local, forwarded, giveUpAt, result), LEADER_POLL_MS,
          TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  private static <T> BiConsumer<T, Throwable> completing(CompletableFuture<T> result) {
    return (value, error) -> {
      if (error != null) {
        result.completeExceptionally(error instanceof CompletionException && error.getCause() != null
            ? error.getCause() : error);
      } else {
        result.complete(value);
      }
    };
  }

  /** The node to forward to: the map group's leader if this node is in the group, else any group member. */
  private Channel forwardTarget(long forwardedBy) {
    long target = 0;
    LeaderHint hint = replicas.leaderHint(MapRecords.MAP_GROUP);
    if (replicas.status(MapRecords.MAP_GROUP).isPresent()) {
      target = hint.known() && hint.nodeId() != selfId ? hint.nodeId() : 0;
    } else if (forwardedBy == 0) {
      List<Long> holders = map.table().toClusterMap().getMapGroupNodesList();
      target = holders.isEmpty() ? 0 : holders.get((int) (System.nanoTime() & 0x7fffffff) % holders.size());
    }
    return target == 0 ? null : channels.channelTo(target);
  }

  // ---------------------------------------------------------------- the map group's leader

  private boolean leadsMapGroup() {
    return replicas.status(MapRecords.MAP_GROUP).map(s -> s.getRole() == RaftRole.RAFT_ROLE_LEADER).orElse(false);
  }

  /** The record, read linearizably through this node's leading replica; created from the first map if absent. */
  private MapGroup.Versioned readRecord() {
    // Decoded again only when its version changed (the record of 1,000 shards is large; this runs 4 times
    // a second). Versions are Raft indexes, so a version names one content.
    long known = lastRecord == null ? -1 : lastRecord.version();
    Optional<MapGroup.Versioned> v = await(MapGroup.readIfChanged(replicas, Consistency.CONSISTENCY_LINEARIZABLE,
        known));
    if (v.isPresent()) {
      lastRecord = v.get();
      return lastRecord;
    }
    if (lastRecord != null) {
      return lastRecord;
    }
    ClusterMap first = MapRecords.strip(map.table().toClusterMap());
    long version = await(MapGroup.compareAndSet(replicas, 0, first));
    if (version < 0) {
      lastRecord = await(MapGroup.read(replicas, Consistency.CONSISTENCY_LINEARIZABLE)).orElseThrow();
      return lastRecord;
    }
    log.info("cluster '{}': the map group holds the cluster map from epoch {}", map.clusterId(), first.getEpoch());
    lastRecord = new MapGroup.Versioned(first, version);
    return lastRecord;
  }

  /** Stores {@code next} if the record is still at {@code version}; this node then uses it at once. */
  private boolean store(long version, ClusterMap next) {
    long stored = await(MapGroup.compareAndSet(replicas, version, next));
    if (stored < 0) {
      return false;
    }
    lastRecord = new MapGroup.Versioned(next, stored);
    follower.apply(next);
    return true;
  }

  /** Membership thread only: the record as last read or stored, and a version that needs no new moves. */
  private MapGroup.Versioned lastRecord;
  private long settledVersion = -1;

  private void drivePass() {
    if (!leadsMapGroup()) {
      return;
    }
    try {
      ClusterMap rec = readRecord().record();
      follower.apply(rec);
      for (Move move : new ArrayList<>(rec.getMovesList())) {
        ClusterMap next = driver.advance(rec, move);
        if (next != rec) {
          if (!store(lastRecord.version(), next)) {
            return;
          }
          rec = next;
        }
      }
      ClusterMap checked = MembershipChanges.withLiveness(rec,
          node -> liveness.silentFor(node, options.failureTimeout()));
      if (checked != rec) {
        if (!store(lastRecord.version(), checked)) {
          return;
        }
        for (int i = 0; i < checked.getNodesCount(); i++) {
          Node n = checked.getNodes(i);
          if (n.getState() != rec.getNodes(i).getState()) {
            log.info("cluster '{}': node {} is now {} (map epoch {})", map.clusterId(), n.getId(),
                n.getState().name().replace("NODE_STATE_", ""), checked.getEpoch());
          }
        }
        rec = checked;
      }
      ClusterMap drained = MembershipChanges.removeDrained(rec);
      if (drained != rec) {
        if (!store(lastRecord.version(), drained)) {
          return;
        }
        log.info("cluster '{}': drained nodes left the map (epoch {})", map.clusterId(), drained.getEpoch());
        rec = drained;
      }
      if (rec.getMovesCount() == 0 && dueForLeaderBalance()) {
        balanceLeaders(rec);
      }
      if (lastRecord.version() == settledVersion) {
        return; // planning depends on the record only: this one was planned already and needed nothing
      }
      ClusterMap planned = MembershipChanges.plan(rec, options.maxMovesPerNode(), System.currentTimeMillis());
      if (planned == rec) {
        settledVersion = lastRecord.version();
      } else if (store(lastRecord.version(), planned)) {
        int started = planned.getMovesCount() - rec.getMovesCount();
        metrics.moves.labelValues("started").inc(started);
        log.info("cluster '{}': {} replica moves started (epoch {}, {} in flight)", map.clusterId(), started,
            planned.getEpoch(), planned.getMovesCount());
      }
    } catch (RuntimeException e) {
      log.debug("node {}: placement pass cut short: {}", selfId, e.toString());
    }
  }

  private long nextBalanceNanos;

  private boolean dueForLeaderBalance() {
    if (options.leaderBalancePeriod().isZero()) {
      return false;
    }
    long now = System.nanoTime();
    if (now - nextBalanceNanos < 0) {
      return false;
    }
    nextBalanceNanos = now + options.leaderBalancePeriod().toNanos();
    return true;
  }

  /** A few leadership transfers towards the weighted shares, if the leaders are off by more than one. */
  private void balanceLeaders(ClusterMap rec) {
    Map<Long, Long> leaders = new HashMap<>();
    Map<Long, Long> terms = new HashMap<>();
    for (Node n : rec.getNodesList()) {
      Channel ch = channels.channelTo(n.getId());
      if (ch == null) {
        continue;
      }
      try {
        NodeStatus status = ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
            .getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
        for (ShardStatus s : status.getShardsList()) {
          if (s.getRole() == RaftRole.RAFT_ROLE_LEADER && s.getTerm() > terms.getOrDefault(s.getShardId(), 0L)) {
            leaders.put(s.getShardId(), n.getId());
            terms.put(s.getShardId(), s.getTerm());
          }
        }
      } catch (StatusRuntimeException e) {
        // a node that does not answer leads nothing we can move now
      }
    }
    for (LeaderBalance.Transfer t : LeaderBalance.plan(rec, leaders, LeaderBalance.transfersPerPass(rec))) {
      Channel ch = channels.channelTo(t.from());
      if (ch == null) {
        continue;
      }
      try {
        NodeInternalGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS).changeReplicas(
            ChangeReplicasRequest.newBuilder().setClusterId(map.clusterId()).setShardId(t.shardId())
                .setAction(ChangeReplicasRequest.Action.ACTION_TRANSFER_LEADER).setNodeId(t.to()).build());
        metrics.leaderTransfers.inc();
        log.debug("shard {}: leadership moves from node {} to node {} (balancing by weight)", t.shardId(),
            t.from(), t.to());
      } catch (StatusRuntimeException e) {
        log.debug("shard {}: leader transfer for balance failed: {}", t.shardId(), e.getStatus());
      }
    }
  }

  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(GROUP_CALL_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.UNAVAILABLE.withDescription("interrupted").asRuntimeException();
    } catch (TimeoutException e) {
      throw Status.UNAVAILABLE.withDescription("the cluster-map group did not answer in time; retry")
          .asRuntimeException();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(cause);
    }
  }

  @Override
  public void close() {
    following.shutdownNow();
    changes.shutdownNow();
    try {
      following.awaitTermination(5, TimeUnit.SECONDS);
      changes.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

}
