package io.kvstore.server.replica;

import io.grpc.BindableService;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.cache.HotValueCache;
import io.kvstore.server.lease.LeaseKeeper;
import io.kvstore.server.lock.LockWaiters;
import io.kvstore.server.statemachine.EntryCodec;
import io.kvstore.server.proto.ChangeReplicasRequest;
import io.kvstore.server.proto.ShardMembership;
import io.kvstore.server.transport.PeerSilence;
import io.kvstore.server.transport.RaftTransportClient;
import io.kvstore.server.transport.RaftTransportService;
import io.kvstore.server.transport.TransportStats;
import io.kvstore.server.worker.GroupReplica;
import io.kvstore.server.worker.LogRetention;
import io.kvstore.server.worker.NodeMetrics;
import io.kvstore.server.worker.RaftWorker;
import io.kvstore.server.worker.WorkerContext;
import io.kvstore.storage.Durability;
import io.kvstore.storage.NodeStore;
import io.kvstore.storage.StoreBatch;
import io.kvstore.storage.StoreStats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shard replicas of one node: the {@link ShardReplicas} the gRPC services call, and the machinery
 * behind it (one RocksDB {@link NodeStore}, the multi-Raft {@link RaftWorker} loops, the node-to-node
 * transport, the KV state machines and the hot-value cache).
 *
 * <h2>Use from {@code Node}</h2>
 * <pre>{@code
 * NodeReplicas replicas = NodeReplicas.start(nodeId, clusterId, dataDir, clusterMap, options, registry);
 * serverBuilder.addService(replicas.transportService());    // RaftTransport.Send, on the node's gRPC port
 * ... serve ...
 * replicas.shutdown(Duration.ofSeconds(5));                  // SIGTERM: hand leaderships away, then close
 * }</pre>
 * Peers are reached at the addresses of {@code clusterMap}'s nodes; connections are opened lazily and
 * retried with backoff, so the gRPC server may start after this, and peers may start in any order.
 * {@link #setPeerAddress} updates an address (e.g. a node bound to port 0 in a test).
 *
 * <h2>Start-up</h2>
 * The store lives in {@code <dataDir>/store}. For every shard of the map that has a replica on this node:
 * if the store has it, the replica restarts from disk (log, hard state, applied data, exactly-once table);
 * otherwise it is bootstrapped with the map's replicas as its initial membership ({@link ShardBootstrap}),
 * identically on every initial member. Shards on disk but not in the map are left alone.
 *
 * <h2>Threads</h2>
 * {@code ReplicaOptions.loopThreads} worker threads drive the groups (shard ids in ascending order, dealt
 * round-robin). Every public method is thread-safe and returns at once; futures complete on a small
 * callback pool ({@code kv-replicas-callback-*}), never on a loop thread.
 */
public final class NodeReplicas implements ShardReplicas, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeReplicas.class);
  /**
   * How long (in election timeouts) a new group's preferred leader campaigns eagerly while it knows no
   * leader (see {@link GroupReplica#campaignEagerly}): long enough for the other nodes of a cluster
   * started one node after another to come up.
   */
  private static final int EAGER_CAMPAIGN_ELECTIONS = 20;
  /**
   * How long (in election timeouts) the other replicas of a new group start no election of their own
   * ({@link GroupReplica#deferCampaign}), so that the preferred one wins though its node starts a few
   * seconds after theirs; if it does not come, the group elects one of them this much later.
   */
  private static final int DEFERRED_CAMPAIGN_ELECTIONS = 5;

  private final long nodeId;
  private final String clusterId;
  private final NodeStore store;
  private final HotValueCache cache;
  private final TransportStats transportStats = new TransportStats();
  private final RaftTransportClient transport;
  private final RaftTransportService transportService;
  private final ExecutorService callbacks;
  private final Map<Long, GroupReplica> groups = new ConcurrentHashMap<>();
  private final Map<Long, RaftWorker> workerOf = new ConcurrentHashMap<>();
  private final List<RaftWorker> workers = new ArrayList<>();
  private final WorkerContext ctx;
  private final io.kvstore.server.worker.SnapshotBandwidth snapshotBandwidth =
      new io.kvstore.server.worker.SnapshotBandwidth(0);
  /** Shards whose replica was released and whose data is being deleted on its loop thread. */
  private final java.util.Set<Long> dropping = ConcurrentHashMap.newKeySet();
  private final LockWaiters lockWaiters = new LockWaiters();
  /** With quiet groups: when each peer node was last heard from, and the heartbeats that keep it told. */
  private final PeerSilence silence;
  private final long silenceMillis;
  private final ScheduledExecutorService heartbeats;
  private volatile boolean closed;

  private NodeReplicas(long nodeId, String clusterId, NodeStore store, ClusterMap map, ReplicaOptions options,
      PrometheusRegistry registry) {
    this.nodeId = nodeId;
    this.clusterId = clusterId;
    this.store = store;
    this.cache = new HotValueCache(options.cacheBytes());
    Map<Long, String> addresses = new HashMap<>();
    map.getNodesList().forEach(n -> addresses.put(n.getId(), n.getAddress()));
    this.transport = new RaftTransportClient(clusterId, nodeId, addresses, options.maxTransportBatchBytes(),
        Duration.ofMillis(50), Duration.ofMillis(500), transportStats, this::peerDown);
    AtomicInteger threadNo = new AtomicInteger();
    this.callbacks = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "kv-replicas-callback-" + nodeId + "-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    NodeMetrics metrics = new NodeMetrics(registry, groups::values, store, cache, transportStats);
    WorkerContext ctx = new WorkerContext(nodeId, options, store, cache, metrics, callbacks, lockWaiters,
        snapshotBandwidth, LogRetention.forMemtable(options.storage().memtableBytes()));
    // Half an election timeout (at least 3 ticks): the woken followers then wait a full one of their own.
    this.silenceMillis = options.tick().toMillis() * Math.max(3, options.electionTicks() / 2);
    this.silence = new PeerSilence(TimeUnit.MILLISECONDS.toNanos(silenceMillis), System.nanoTime());
    this.transportService = new RaftTransportService(clusterId, nodeId, this::deliver, transportStats,
        peer -> transport.peerAlive(peer), peer -> silence.heard(peer, System.nanoTime()));
    this.heartbeats = options.quiesce() ? Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kv-node-heartbeat-" + nodeId);
      t.setDaemon(true);
      return t;
    }) : null;

    this.ctx = ctx;
    List<Shard> local = localShards(map, nodeId);
    // Only the first map (epoch 1) creates groups from scratch: a replica placed here later joins an
    // existing group, so it starts empty and receives a snapshot from the group's leader.
    Set<Long> created = Set.of();
    if (map.getEpoch() <= 1) {
      created = bootstrapMissing(local);
    } else {
      dropUnplaced(local);
    }
    for (int i = 0; i < options.loopThreads(); i++) {
      workers.add(new RaftWorker("kv-raft-loop-" + nodeId + "-" + i, ctx, transport,
          Math.max(10_000, local.size() * 1_000)));
    }
    for (int i = 0; i < local.size(); i++) {
      long id = local.get(i).getId();
      GroupReplica g = new GroupReplica(id, ctx);
      if (created.contains(id)) {
        // The ring's first replica leads a new shard: it campaigns at once, the others hold back a while.
        if (local.get(i).getReplicas(0).getNodeId() == nodeId) {
          g.campaignEagerly(EAGER_CAMPAIGN_ELECTIONS * options.electionTicks());
        } else {
          g.deferCampaign(DEFERRED_CAMPAIGN_ELECTIONS * options.electionTicks());
        }
      }
      RaftWorker w = workers.get(i % workers.size());
      w.add(g);
      workerOf.put(id, w);
      groups.put(id, g);
    }
  }

  /**
   * Opens (or creates) the node's store under {@code dataDir}, creates or restarts the replica of every
   * shard of {@code map} hosted by {@code nodeId}, and starts the worker loops. Blocks while RocksDB
   * recovers; returns with every replica running (leaders are elected in the background).
   *
   * @param registry where the replicas' metrics are registered (null: not exported)
   * @throws io.kvstore.storage.StoreException if the store cannot be opened (another node's or cluster's
   *     directory, corruption, disk full, ...)
   */
  public static NodeReplicas start(long nodeId, String clusterId, Path dataDir, ClusterMap map,
      ReplicaOptions options, PrometheusRegistry registry) {
    NodeStore store = NodeStore.open(dataDir.resolve("store"), nodeId, clusterId, options.storage());
    try {
      NodeReplicas r = new NodeReplicas(nodeId, clusterId, store, map, options, registry);
      r.workers.forEach(RaftWorker::start);
      r.startHeartbeats(options.tick());
      log.info("node {}: {} shard replicas running on {} loop thread(s)", nodeId, r.groups.size(),
          r.workers.size());
      return r;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** The shards of {@code map} with a replica on {@code nodeId}, and the map group when it is one of them. */
  private static List<Shard> localShards(ClusterMap map, long nodeId) {
    List<Shard> out = new ArrayList<>();
    List<Shard> all = new ArrayList<>(map.getShardsList());
    if (map.getMapGroupNodesList().contains(nodeId)) {
      all.add(io.kvstore.server.membership.MapRecords.mapGroup(map));
    }
    for (Shard s : all) {
      for (Replica r : s.getReplicasList()) {
        if (r.getNodeId() == nodeId) {
          out.add(s);
          break;
        }
      }
    }
    out.sort((a, b) -> Long.compareUnsigned(a.getId(), b.getId()));
    return out;
  }

  /** Creates the groups of {@code local} this node does not hold yet; returns their ids. */
  private Set<Long> bootstrapMissing(List<Shard> local) {
    StoreBatch batch = store.newBatch();
    Set<Long> created = new HashSet<>();
    for (Shard s : local) {
      if (!store.group(s.getId()).exists()) {
        ShardBootstrap.add(batch, s);
        created.add(s.getId());
      }
    }
    if (created.isEmpty()) {
      batch.close();
      return created;
    }
    store.write(batch, Durability.SYNC);
    log.info("node {}: bootstrapped {} new shard replicas", nodeId, created.size());
    return created;
  }

  // ---------------------------------------------------------------- ShardReplicas

  @Override
  public CompletableFuture<CommandResult> propose(long shardId, Command command) {
    GroupReplica g = groups.get(shardId);
    RuntimeException refused = refusal(shardId, g);
    if (refused == null && !g.isLeader()) {
      refused = new NotLeaderException(shardId, g.leaderHint());
    }
    if (refused == null && !g.tryReserve()) {
      refused = new ProposalQueueFullException("shard " + shardId + " has " + g.outstandingWrites()
          + " writes waiting on node " + nodeId + "; retry with backoff");
    }
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    CompletableFuture<CommandResult> f = new CompletableFuture<>();
    workerOf.get(shardId).propose(g, EntryCodec.encode(command, System.currentTimeMillis()), f);
    return f;
  }

  @Override
  public CompletableFuture<ReadView> read(long shardId, Consistency consistency) {
    GroupReplica g = groups.get(shardId);
    RuntimeException refused = refusal(shardId, g);
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    if (consistency == Consistency.CONSISTENCY_STALE) {
      return CompletableFuture.completedFuture(g.staleView());
    }
    CompletableFuture<ReadView> f = new CompletableFuture<>();
    if (!workerOf.get(shardId).read(g, consistency, f)) {
      return CompletableFuture.failedFuture(new ProposalQueueFullException("node " + nodeId
          + " has too much work queued for shard " + shardId + "'s loop; retry the read with backoff"));
    }
    return f;
  }

  private RuntimeException refusal(long shardId, GroupReplica g) {
    if (g == null) {
      return new ShardUnavailableException("node " + nodeId + " has no replica of shard " + shardId);
    }
    if (closed) {
      return new ShardUnavailableException("node " + nodeId + " is shutting down");
    }
    if (g.failure() != null) {
      return new ShardUnavailableException("shard " + shardId + " is stopped on node " + nodeId + ": "
          + g.failure());
    }
    return null;
  }

  /** The shards with a replica here, ascending (the map group, which is no shard, is not listed). */
  @Override
  public List<Long> localShards() {
    List<Long> ids = new ArrayList<>();
    for (long id : groups.keySet()) {
      if (id != io.kvstore.server.membership.MapRecords.MAP_GROUP) {
        ids.add(id);
      }
    }
    ids.sort(Long::compareUnsigned);
    return ids;
  }

  @Override
  public Optional<ShardStatus> status(long shardId) {
    GroupReplica g = groups.get(shardId);
    return g == null ? Optional.empty() : Optional.ofNullable(g.status());
  }

  @Override
  public LeaderHint leaderHint(long shardId) {
    GroupReplica g = groups.get(shardId);
    return g == null ? LeaderHint.UNKNOWN : g.leaderHint();
  }

  @Override
  public Optional<LeaseKeeper> leases(long shardId) {
    GroupReplica g = groups.get(shardId);
    return g == null ? Optional.empty() : Optional.of(g.leaseKeeper());
  }

  /** This node's store, for tests of what the replicas leave in it. */
  NodeStore store() {
    return store;
  }

  @Override
  public Optional<io.kvstore.server.watch.ChangeLog> changes(long shardId) {
    GroupReplica g = groups.get(shardId);
    return g == null ? Optional.empty() : Optional.of(g.changeLog());
  }

  @Override
  public LockWaiters lockWaiters() {
    return lockWaiters;
  }

  // ---------------------------------------------------------------- elastic membership

  @Override
  public CompletableFuture<ShardMembership> changeReplicas(long shardId, ChangeReplicasRequest.Action action,
      long target) {
    GroupReplica g = groups.get(shardId);
    RuntimeException refused = refusal(shardId, g);
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    CompletableFuture<ShardMembership> f = new CompletableFuture<>();
    workerOf.get(shardId).execute(() -> {
      try {
        ShardMembership m = g.changeMembership(action, target);
        callbacks.execute(() -> f.complete(m));
      } catch (RuntimeException e) {
        callbacks.execute(() -> f.completeExceptionally(e));
      }
    });
    return f;
  }

  @Override
  public void limitSnapshotBandwidth(long bytesPerSecond) {
    snapshotBandwidth.setBytesPerSecond(bytesPerSecond);
  }

  /**
   * Creates the replicas {@code map} newly places here (empty, on the least loaded worker) and drops the
   * ones it no longer places here, the map group's included ({@code map_group_nodes}). The caller
   * persisted {@code map} first, so a restart after a drop does not bring the replica back.
   */
  @Override
  public synchronized boolean reconcile(ClusterMap map) {
    if (closed) {
      return true;
    }
    boolean complete = true;
    map.getNodesList().forEach(n -> transport.setAddress(n.getId(), n.getAddress()));
    List<Shard> wanted = localShards(map, nodeId);
    java.util.Set<Long> wantedIds = new java.util.HashSet<>();
    for (Shard s : wanted) {
      wantedIds.add(s.getId());
      // A shard that comes back while its old replica's data is still being deleted waits for the next
      // reconcile (the follower calls again while this returns false), so the new replica never reads
      // half-deleted state.
      if (!groups.containsKey(s.getId())) {
        if (dropping.contains(s.getId())) {
          complete = false;
        } else {
          create(s.getId());
        }
      }
    }
    for (long id : new ArrayList<>(groups.keySet())) {
      if (!wantedIds.contains(id)) {
        drop(id);
      }
    }
    return complete;
  }

  private void create(long shardId) {
    GroupReplica g = new GroupReplica(shardId, ctx);
    RaftWorker w = workers.get(0);
    for (RaftWorker candidate : workers) {
      if (candidate.groups().size() < w.groups().size()) {
        w = candidate;
      }
    }
    workerOf.put(shardId, w);
    groups.put(shardId, g);
    w.adopt(g);
    log.info("node {}: replica of shard {} created (it catches up from the shard's leader)", nodeId, shardId);
  }

  private void drop(long shardId) {
    GroupReplica g = groups.remove(shardId);
    RaftWorker w = workerOf.remove(shardId);
    if (g == null || w == null) {
      return;
    }
    dropping.add(shardId);
    w.release(g, () -> {
      try {
        g.retire();
        g.close();
        StoreBatch batch = store.newBatch();
        batch.dropGroup(shardId);
        store.write(batch, Durability.SYNC);
        cache.invalidateShard(shardId);
        log.info("node {}: replica of shard {} removed and its data deleted", nodeId, shardId);
      } finally {
        dropping.remove(shardId);
      }
    });
  }

  /** At start with a later map: data of groups the map no longer places here (a drop cut short by a crash). */
  private void dropUnplaced(List<Shard> local) {
    java.util.Set<Long> placed = new java.util.HashSet<>();
    local.forEach(s -> placed.add(s.getId()));
    StoreBatch batch = store.newBatch();
    int dropped = 0;
    for (long id : store.groupIds()) {
      if (!placed.contains(id)) {
        batch.dropGroup(id);
        dropped++;
      }
    }
    if (dropped == 0) {
      batch.close();
      return;
    }
    store.write(batch, Durability.SYNC);
    log.info("node {}: deleted the data of {} replicas the cluster map moved off this node", nodeId, dropped);
  }

  // ---------------------------------------------------------------- node wiring

  /** The {@code RaftTransport} service to add to the node's gRPC server. */
  public BindableService transportService() {
    return transportService;
  }

  /** Sets or changes the address ({@code host:port}) at which a peer node's gRPC server listens. */
  public void setPeerAddress(long peerNodeId, String address) {
    transport.setAddress(peerNodeId, address);
  }

  public long nodeId() {
    return nodeId;
  }

  public String clusterId() {
    return clusterId;
  }

  /** Shards this node's replicas lead right now. */
  public int leadersHeld() {
    int n = 0;
    for (GroupReplica g : groups.values()) {
      if (g.isLeader()) {
        n++;
      }
    }
    return n;
  }

  /** Storage write counters (synced batches = fsyncs). */
  public StoreStats storeStats() {
    return store.stats();
  }

  public TransportStats transportStats() {
    return transportStats;
  }

  /** Hot-value cache counters. */
  public HotValueCache cache() {
    return cache;
  }

  /**
   * Asks every shard this node leads to hand leadership to its most up-to-date follower (Raft thesis
   * §3.10), and waits until it leads none or {@code timeout} passed. Writes to those shards fail with
   * {@link NotLeaderException} meanwhile (the new leader is in the hint once known).
   *
   * @return how many shards this node still leads
   */
  public int transferLeadershipsAway(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long retry = 0;
    while (leadersHeld() > 0 && System.nanoTime() - deadline < 0) {
      if (System.nanoTime() - retry >= 0) {
        for (RaftWorker w : workers) {
          w.execute(() -> w.groups().forEach(GroupReplica::handOffLeadership));
        }
        // A transfer is abandoned after an election timeout: ask again after one.
        retry = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    return leadersHeld();
  }

  /**
   * Makes this node's replica of {@code shardId} campaign now instead of at its election timeout (with a
   * pre-vote: a live leader with a quorum keeps its place). For operators and tests; false when the shard
   * has no replica here.
   */
  public boolean campaign(long shardId) {
    GroupReplica g = groups.get(shardId);
    if (g == null) {
      return false;
    }
    workerOf.get(shardId).execute(g::campaign);
    return true;
  }

  /**
   * With quiet groups (ReplicaOptions.quiesce): every tick, one empty batch to each peer node, and the
   * quiet followers of a peer that fell silent are woken (see {@link PeerSilence}).
   */
  private void startHeartbeats(Duration tick) {
    if (heartbeats == null) {
      return;
    }
    long period = tick.toNanos();
    heartbeats.scheduleAtFixedRate(() -> {
      try {
        transport.heartbeat();
        for (long peer : silence.silentPeers(transport.peers(), System.nanoTime())) {
          transportStats.peerReportedSilent();
          log.info("node {}: nothing heard from node {} for {} ms; waking the quiet groups it leads", nodeId,
              peer, silenceMillis);
          for (RaftWorker w : workers) {
            w.execute(() -> w.groups().forEach(g -> g.peerSilent(peer)));
          }
        }
      } catch (RuntimeException e) {
        log.warn("node {}: node heartbeat failed: {}", nodeId, e.toString());
      }
    }, period, period, TimeUnit.NANOSECONDS);
  }

  /** A peer's process is gone (the transport found its port refusing connections): see GroupReplica. */
  private void peerDown(long peerId) {
    for (RaftWorker w : workers) {
      w.execute(() -> w.groups().forEach(g -> g.peerDown(peerId)));
    }
  }

  /**
   * Before the node closes its port: no more answers from the leader lease (peers that see the port
   * closed stop honouring it), LEASE reads take a ReadIndex round instead. Waits (bounded) until every
   * worker took it in.
   */
  public void endLeaseReads() {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (RaftWorker w : workers) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      w.execute(() -> {
        w.groups().forEach(GroupReplica::endLeaseReads);
        f.complete(null);
      });
      done.add(f);
    }
    try {
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("node {}: workers did not confirm the end of lease reads: {}", nodeId, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM: hands leaderships away (bounded by {@code transferTimeout}), then {@link #close()}. */
  public void shutdown(Duration transferTimeout) {
    if (!closed) {
      int left = transferLeadershipsAway(transferTimeout);
      if (left > 0) {
        log.warn("node {}: still leading {} shards after {}; closing anyway", nodeId, left, transferTimeout);
      }
    }
    close();
  }

  /**
   * Stops the loops (pending writes fail with {@link ResultUnknownException} or
   * {@link ShardUnavailableException}, reads with the latter), closes the transport and the store. No
   * leadership transfer: followers elect a new leader after an election timeout. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (heartbeats != null) {
      heartbeats.shutdownNow();
    }
    transportService.close();
    workers.forEach(RaftWorker::stop);
    transport.close();
    callbacks.shutdown();
    try {
      callbacks.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
    log.info("node {}: replicas closed", nodeId);
  }

  private boolean deliver(long groupId, io.kvstore.raft.proto.Message m) {
    GroupReplica g = groups.get(groupId);
    if (g == null || closed) {
      return false;
    }
    return workerOf.get(groupId).deliver(g, m);
  }
}
