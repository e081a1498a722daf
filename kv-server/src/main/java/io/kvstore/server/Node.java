package io.kvstore.server;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.util.MutableHandlerRegistry;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.ring.RoutingTable;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvstore.proto.v1.AddMemberRequest;
import io.kvstore.proto.v1.AddMemberResponse;
import io.kvstore.server.cluster.ClusterMapFile;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.membership.MembershipCoordinator;
import io.kvstore.server.membership.MembershipOptions;
import io.kvstore.server.grpc.ClusterService;
import io.kvstore.server.grpc.ForwardingMarker;
import io.kvstore.server.grpc.InlineCalls;
import io.kvstore.server.grpc.KvService;
import io.kvstore.server.grpc.LeaseService;
import io.kvstore.server.grpc.LockService;
import io.kvstore.server.grpc.WatchService;
import io.kvstore.server.grpc.NodeInternalService;
import io.kvstore.server.grpc.NotReadyService;
import io.kvstore.server.grpc.PeerChannels;
import io.kvstore.server.grpc.RequestParsing;
import io.kvstore.server.grpc.RequestValidator;
import io.kvstore.server.metrics.GrpcServerMetrics;
import io.kvstore.server.metrics.MetricsServer;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.replica.LeaderHint;
import io.kvstore.server.replica.NodeReplicas;
import io.kvstore.server.replica.ReplicaOptions;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.statemachine.SessionTable;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kvstore node: its gRPC server (KV, Cluster, node-to-node services, health, reflection), its metrics
 * endpoint, its copy of the cluster map and the shard replicas under them.
 *
 * <p>Lifecycle: {@link #start} binds the ports, loads (or bootstraps) the cluster map, starts the replicas
 * and returns once the node serves. Tests that need every node's port before any map exists use {@link
 * #bind} (ports only; the node answers health checks, and UNAVAILABLE to everything else) and then {@link
 * #serve} with the initial cluster. {@link #close}: health turns NOT_SERVING, the replicas hand their
 * leaderships away, the server stops accepting calls and lets in-flight ones end (bounded by the config's
 * shutdown timeout), then the replicas flush and close their storage. Not restartable: start a new
 * {@code Node} on the same data dir instead; it resumes from disk.
 */
public final class Node implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Node.class);

  /** Build version reported in NodeStatus. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  /** The largest request the transport accepts: kv.proto's 64 MiB in all, plus room for framing. */
  static final int MAX_INBOUND_BYTES = (int) RequestValidator.MAX_REQUEST_BYTES + (1 << 20);

  /** The replicas a node runs under its services. */
  public interface ReplicaHost extends AutoCloseable {
    ShardReplicas replicas();

    /** Services the replicas serve on the node's gRPC port (the node-to-node Raft transport). */
    List<BindableService> services();

    /**
     * Asks every shard this node leads to hand leadership to another replica, and returns once none is
     * led here or {@code timeout} passed. Best effort: a shard with no other live replica keeps its
     * leader.
     */
    void transferLeadershipsAway(Duration timeout);

    /**
     * Before the node closes its port: stop answering reads from the leader lease (peers that find the
     * port closed stop honouring it). Default: nothing to do (replicas without leases).
     */
    default void endLeaseReads() {}

    /** Stops the replicas: flushes and closes storage. Blocks until done. */
    @Override
    void close();
  }

  /** Starts a node's replicas over its cluster map. */
  @FunctionalInterface
  public interface ReplicaHostFactory {
    /**
     * Starts the replicas of {@code map}'s shards that have a replica on {@code config.nodeId()}; returns
     * once they run (their groups may still be electing leaders).
     */
    ReplicaHost start(NodeConfig config, RoutingTable map, PrometheusRegistry registry);
  }

  /** The multi-Raft replicas (worker loops, transport, Raft groups, state machines, cache). */
  public static final ReplicaHostFactory REAL_REPLICAS =
      (config, table, metricRegistry) -> {
        NodeReplicas r =
            NodeReplicas.start(
                config.nodeId(),
                config.clusterId(),
                config.dataDir(),
                table.toClusterMap(),
                config.replicaOptions(),
                metricRegistry);
        return new ReplicaHost() {
          @Override
          public ShardReplicas replicas() {
            return r;
          }

          @Override
          public List<BindableService> services() {
            return List.of(r.transportService());
          }

          @Override
          public void transferLeadershipsAway(Duration timeout) {
            int still = r.transferLeadershipsAway(timeout);
            if (still > 0) {
              log.info("node {} still leads {} shards after {}", config.nodeId(), still, timeout);
            }
          }

          @Override
          public void endLeaseReads() {
            r.endLeaseReads();
          }

          @Override
          public void close() {
            r.close();
          }
        };
      };

  private final NodeConfig config;
  private final ReplicaHostFactory replicaFactory;
  private final long startedAtNanos = System.nanoTime();
  private final HealthStatusManager health = new HealthStatusManager();
  private final MutableHandlerRegistry services = new MutableHandlerRegistry();
  private final PrometheusRegistry registry;
  private final GrpcServerMetrics grpcMetrics;
  private final ExecutorService executor;
  /** Runs the gRPC calls that are not inline (see {@link InlineCalls}); grows like gRPC's own default. */
  private final ExecutorService callPool;
  private MetricsServer metrics;
  private Server server;
  private LocalClusterMap map;
  private ReplicaHost replicaHost;
  private PeerChannels channels;
  private MembershipCoordinator membership;
  private MembershipOptions membershipOptions = MembershipOptions.defaults();
  private boolean closed;

  private Node(NodeConfig config, ReplicaHostFactory replicaFactory) {
    this.config = config;
    this.replicaFactory = replicaFactory;
    this.executor = Executors.newFixedThreadPool(
        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
        daemonThreads("kv-service-" + config.nodeId() + "-"));
    this.callPool = Executors.newCachedThreadPool(daemonThreads("kv-grpc-" + config.nodeId() + "-"));
    this.registry = new PrometheusRegistry();
    this.grpcMetrics = new GrpcServerMetrics(registry);
  }

  /** Starts a node with the real multi-Raft replicas; see {@link #start(NodeConfig, ReplicaHostFactory)}. */
  public static Node start(NodeConfig config) {
    return start(config, REAL_REPLICAS);
  }

  /** Binds the node's ports and serves the cluster of {@code config.initialCluster()} (or the stored map). */
  public static Node start(NodeConfig config, ReplicaHostFactory replicaFactory) {
    Node node = bind(config, replicaFactory);
    try {
      node.serve(config.initialCluster());
      return node;
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  /**
   * Binds the gRPC and metrics ports (port 0: any free one) and answers health checks (NOT_SERVING) and
   * reflection; {@link #serve} starts the rest.
   */
  public static Node bind(NodeConfig config, ReplicaHostFactory replicaFactory) {
    Node node = new Node(config, replicaFactory);
    try {
      node.doBind();
      return node;
    } catch (RuntimeException | IOException e) {
      node.close();
      if (e instanceof IOException io) {
        throw new UncheckedIOException(
            "node " + config.nodeId() + " cannot start: " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  private void doBind() throws IOException {
    Files.createDirectories(config.dataDir());
    if (config.metricsPort() >= 0) {
      metrics = MetricsServer.start(config.grpcHost(), config.metricsPort(), registry);
    }
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.grpcHost(), config.grpcPort()))
            .maxInboundMessageSize(MAX_INBOUND_BYTES)
            // KV, lock and Raft-transport calls run on the event loop; every other service on callPool.
            .directExecutor()
            .callExecutor(new InlineCalls(callPool))
            // Peers ping their Raft streams every 30 s (PeerStream); grpc-java's default allows one ping
            // per 5 min and answers more with GOAWAY "too_many_pings", which broke those streams.
            .permitKeepAliveTime(20, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            // Every service parses its requests itself: an undecodable body is INVALID_ARGUMENT.
            .addService(RequestParsing.strict(health.getHealthService().bindService()))
            .addService(RequestParsing.strict(ProtoReflectionServiceV1.newInstance().bindService()))
            .fallbackHandlerRegistry(RequestParsing.strict(services))
            .intercept(new ForwardingMarker())
            .intercept(grpcMetrics)
            .build()
            .start();
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    health.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    health.setStatus(KVGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    String starting = "node " + config.nodeId() + " is starting";
    services.addService(NotReadyService.of(KVGrpc.getServiceDescriptor(), starting));
    services.addService(NotReadyService.of(ClusterGrpc.getServiceDescriptor(), starting));
    services.addService(NotReadyService.of(NodeInternalGrpc.getServiceDescriptor(), starting));
  }

  /**
   * Loads the cluster map from the data dir, or bootstraps it from {@code initialCluster}; starts the
   * replicas and the services. Returns once the node serves (shards may still be electing).
   *
   * @throws IllegalStateException when the data dir belongs to another cluster, or holds no map and
   *     {@code initialCluster} is empty or does not name this node
   */
  public synchronized void serve(List<NodeConfig.InitialMember> initialCluster) {
    if (closed || map != null) {
      throw new IllegalStateException("serve() runs once, on a bound node");
    }
    if (!initialCluster.isEmpty()
        && initialCluster.stream().noneMatch(m -> m.id() == config.nodeId())) {
      throw new IllegalStateException(
          "the initial cluster does not name this node (id " + config.nodeId() + ")");
    }
    map =
        LocalClusterMap.loadOrBootstrap(
            config.dataDir(),
            config.clusterId(),
            initialCluster.stream()
                .map(
                    m ->
                        io.kvstore.proto.v1.Node.newBuilder()
                            .setId(m.id())
                            .setAddress(m.address())
                            .setWeight(m.weight())
                            .build())
                .toList(),
            config.shardCount(),
            config.replicationFactor(),
            Limits.newBuilder()
                .setMaxKeyBytes(4096)
                .setMaxValueBytes(config.maxValueBytes())
                .setMaxBatchKeys(10_000)
                .setWriteWindow(config.replicaOptions().sessions().resultsPerClient())
                .build());
    if (map.node(config.nodeId()).isEmpty()) {
      throw new IllegalStateException(
          "the cluster map of '" + map.clusterId() + "' has no node " + config.nodeId());
    }
    String mapped = map.node(config.nodeId()).get().getAddress();
    if (!mapped.equals(grpcAddress())) {
      log.warn("node {} serves on {} but the cluster map names {}: peers will not reach it",
          config.nodeId(), grpcAddress(), mapped);
    }
    services.addService(new ClusterService(this::clusterMap, this::nodeStatus));
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    health.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.SERVING);

    replicaHost = replicaFactory.start(withMapWindow(config, map.table().limits()), map.table(), registry);
    for (BindableService s : replicaHost.services()) {
      services.addService(s);
    }
    channels =
        new PeerChannels(
            config.nodeId(), id -> map.node(id).map(n -> n.getAddress()).orElse(null));
    ShardReplicas replicas = replicaHost.replicas();
    services.addService(
        new KvService(config.nodeId(), map, replicas, channels, executor, registry, grpcMetrics));
    services.addService(new NodeInternalService(config.nodeId(), map, replicas, executor));
    services.addService(new LeaseService(config.nodeId(), map, replicas, channels, executor));
    services.addService(new LockService(config.nodeId(), map, replicas, channels, executor));
    services.addService(new WatchService(config.nodeId(), map, replicas, executor));
    replicas.limitSnapshotBandwidth(membershipOptions.snapshotBytesPerSecond());
    if (!map.table().toClusterMap().getMapGroupNodesList().isEmpty()) {
      membership = new MembershipCoordinator(config.nodeId(), map, replicas, channels, executor, registry,
          membershipOptions, this::clusterMap);
      services.addService(new ClusterService(this::clusterMap, this::nodeStatus, membership));
      membership.start();
    }
    health.setStatus(KVGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(NodeInternalGrpc.SERVICE_NAME, ServingStatus.SERVING);
    log.info("node {} of cluster '{}' serves {} shards on {} (map epoch {})",
        config.nodeId(), map.clusterId(), replicas.localShards().size(), grpcAddress(), map.epoch());
  }

  /**
   * {@code config} with the cluster's exactly-once window: every replica of a shard must evict the same
   * results (the table is replicated state), so the window comes from the map, never from a node's flags.
   */
  static NodeConfig withMapWindow(NodeConfig config, Limits limits) {
    int window = limits.getWriteWindow() == 0 ? SessionTable.Limits.LEGACY_WINDOW : limits.getWriteWindow();
    ReplicaOptions options = config.replicaOptions();
    return config.withReplicaOptions(options.withSessions(options.sessions().withResultsPerClient(window)));
  }

  /** Sets the membership tuning before {@link #serve} or {@link #join} (tests: fewer moves at once). */
  public synchronized Node withMembershipOptions(MembershipOptions options) {
    this.membershipOptions = options;
    return this;
  }

  /**
   * Joins an existing cluster: asks {@code seed} (any member's {@code host:port}) to add this node with
   * {@code weight}, keeps the map it answers with, then serves like {@link #serve} (with no replicas at
   * first: the map group's leader moves them here). A node whose data dir already holds a map (a
   * restart) skips the request. Retries a seed that is unavailable for up to {@code timeout}.
   *
   * @throws io.grpc.StatusRuntimeException with the seed's refusal (id in use, cluster id mismatch, ...)
   */
  public synchronized void join(String seed, int weight, Duration timeout) {
    if (closed || map != null) {
      throw new IllegalStateException("join() runs once, on a bound node");
    }
    ClusterMapFile file = new ClusterMapFile(config.dataDir());
    if (file.read().isEmpty()) {
      io.kvstore.proto.v1.Node me = self().toBuilder().setWeight(Math.max(1, weight)).build();
      AddMemberRequest request =
          AddMemberRequest.newBuilder().setClusterId(config.clusterId()).setNode(me).build();
      ManagedChannel ch =
          NettyChannelBuilder.forTarget(seed).usePlaintext().maxInboundMessageSize(256 << 20).build();
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (true) {
          try {
            AddMemberResponse r =
                ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).addMember(request);
            file.write(r.getMap());
            log.info("node {} joined cluster '{}' through {} (map epoch {})", config.nodeId(),
                config.clusterId(), seed, r.getMap().getEpoch());
            break;
          } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            boolean retry = code == Status.Code.UNAVAILABLE || code == Status.Code.ABORTED
                || code == Status.Code.DEADLINE_EXCEEDED;
            if (!retry || System.nanoTime() - deadline > 0) {
              throw e;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
          }
        }
      } finally {
        ch.shutdownNow();
      }
    }
    serve(List.of());
  }

  /** The port the gRPC server listens on (useful when started with port 0). */
  public int grpcPort() {
    return server.getPort();
  }

  /** The port of /metrics, or -1 when metrics are off. */
  public int metricsPort() {
    return metrics == null ? -1 : metrics.port();
  }

  public String grpcAddress() {
    return config.grpcHost() + ":" + grpcPort();
  }

  public long nodeId() {
    return config.nodeId();
  }

  /** The node's metric registry (exported on /metrics when the metrics port is on). */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** This node's replicas (for tests and tools in the same process). */
  public ShardReplicas replicas() {
    return replicaHost.replicas();
  }

  private io.kvstore.proto.v1.Node self() {
    io.kvstore.proto.v1.Node.Builder b =
        io.kvstore.proto.v1.Node.newBuilder()
            .setId(config.nodeId())
            .setAddress(grpcAddress())
            .setWeight(1);
    if (map != null) {
      map.node(config.nodeId()).ifPresent(n -> b.setWeight(n.getWeight()));
    }
    if (metrics != null) {
      b.setMetricsAddress(config.grpcHost() + ":" + metrics.port());
    }
    return b.build();
  }

  ClusterMap clusterMap() {
    ShardReplicas replicas = replicaHost == null ? null : replicaHost.replicas();
    ClusterMap served =
        map.toClusterMap(
            shard -> {
              if (replicas == null) {
                return null;
              }
              LeaderHint h = replicas.leaderHint(shard);
              return h.known() ? new long[] {h.nodeId(), h.term()} : null;
            });
    ClusterMap.Builder b = served.toBuilder();
    for (int i = 0; i < b.getNodesCount(); i++) {
      if (b.getNodes(i).getId() == config.nodeId() && metrics != null) {
        b.setNodes(i, b.getNodes(i).toBuilder().setMetricsAddress(self().getMetricsAddress()));
      }
    }
    return b.build();
  }

  NodeStatus nodeStatus() {
    NodeStatus.Builder b =
        NodeStatus.newBuilder()
            .setNode(self())
            .setClusterId(config.clusterId())
            .setEpoch(map.epoch())
            .setVersion(VERSION)
            .setUptimeMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAtNanos));
    if (replicaHost != null) {
      ShardReplicas replicas = replicaHost.replicas();
      for (long shard : replicas.localShards()) {
        replicas.status(shard).ifPresent(b::addShards);
      }
    }
    return b.build();
  }

  /** Blocks until the gRPC server terminates (after {@link #close} from another thread). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
    if (membership != null) {
      membership.close();
    }
    health.enterTerminalState();
    // With no other node there is nobody to hand a leadership to.
    if (replicaHost != null && map != null && map.table().nodes().size() > 1) {
      try {
        replicaHost.transferLeadershipsAway(config.shutdownTimeout().dividedBy(2));
      } catch (RuntimeException e) {
        log.warn("node {}: handing leaderships away failed: {}", config.nodeId(), e.toString());
      }
    }
    if (replicaHost != null) {
      // Peers that find our port closed stop honouring our leases (faster failover): stop using them first.
      replicaHost.endLeaseReads();
    }
    if (server != null) {
      server.shutdown();
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!server.awaitTermination(left, TimeUnit.NANOSECONDS)) {
          server.shutdownNow();
          server.awaitTermination(1, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (replicaHost != null) {
      try {
        replicaHost.close();
      } catch (RuntimeException e) {
        log.error("node {}: closing the replicas failed", config.nodeId(), e);
      }
    }
    if (channels != null) {
      channels.close();
    }
    executor.shutdownNow();
    callPool.shutdownNow();
    if (metrics != null) {
      metrics.close();
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
