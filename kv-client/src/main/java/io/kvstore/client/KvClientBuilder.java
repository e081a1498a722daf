package io.kvstore.client;


import static io.kvstore.client.KvClient.requirePositive;

import io.kvstore.client.balance.LoadBalancer;
import io.kvstore.client.balance.LoadBalancingPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/** Builds a {@link KvClient}: {@code KvClient.builder().seeds("host:port,...").build()}. */
public final class KvClientBuilder {
  private List<Endpoint> seeds = List.of();
  private Duration deadline = Duration.ofSeconds(10);
  private Duration attemptTimeout = Duration.ofSeconds(3);
  private LoadBalancer balancer;
  private Long clientId;
  private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
  private long jitterSeed = new SplittableRandom().nextLong();
  private boolean followerReads;
  private Duration keepAliveTime = Duration.ofMinutes(5);
  private Duration keepAliveTimeout = Duration.ofSeconds(20);
  private Duration suspectFor = Duration.ofSeconds(2);
  private int maxWritesPerShard = Integer.MAX_VALUE;
  private Executor callbackExecutor;
  private boolean commandStreams = true;

  KvClientBuilder() {}

  /** The nodes to fetch the first cluster map from (any node of the cluster will do). Required. */
  public KvClientBuilder seeds(List<Endpoint> seeds) {
    this.seeds = List.copyOf(seeds);
    return this;
  }

  /** As {@link #seeds(List)}, from {@code host:port,host:port}. */
  public KvClientBuilder seeds(String spec) {
    return seeds(Endpoint.parseList(spec));
  }

  /** Each call's deadline, every attempt and backoff included (default 10 s). */
  public KvClientBuilder deadline(Duration deadline) {
    requirePositive(deadline, "deadline");
    this.deadline = deadline;
    return this;
  }

  /** The longest one attempt may take before it is retried elsewhere (default 3 s). */
  public KvClientBuilder attemptTimeout(Duration attemptTimeout) {
    requirePositive(attemptTimeout, "attempt timeout");
    this.attemptTimeout = attemptTimeout;
    return this;
  }

  /** The load-balancing policy (default round robin). */
  public KvClientBuilder loadBalancing(LoadBalancingPolicy policy) {
    this.balancer = policy.newBalancer();
    return this;
  }

  /** A balancer of your own (see {@link LoadBalancer}'s contract). */
  public KvClientBuilder loadBalancer(LoadBalancer balancer) {
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    return this;
  }

  /** The id in the header of this client's writes (default: random). Two live clients must not share it. */
  public KvClientBuilder clientId(long clientId) {
    if (clientId == 0) {
      throw new IllegalArgumentException("client id 0 means 'no deduplication'; use a non-zero id");
    }
    this.clientId = clientId;
    return this;
  }

  /** The retry policy of every call (default {@link RetryPolicy#DEFAULT}). */
  public KvClientBuilder retryPolicy(RetryPolicy retryPolicy) {
    this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
    return this;
  }

  /** Seeds the backoff jitter (tests: reproducible delays). */
  public KvClientBuilder jitterSeed(long seed) {
    this.jitterSeed = seed;
    return this;
  }

  /**
   * Send LINEARIZABLE reads to any voter chosen by the balancer instead of the leader (the server serves
   * them after asking the leader for the read index). Default false.
   */
  public KvClientBuilder followerReads(boolean followerReads) {
    this.followerReads = followerReads;
    return this;
  }

  /** HTTP/2 keepalive of each node's channel (default 5 min, 20 s timeout; see {@link ChannelPool}). */
  public KvClientBuilder keepAlive(Duration time, Duration timeout) {
    requirePositive(time, "keepalive time");
    requirePositive(timeout, "keepalive timeout");
    this.keepAliveTime = time;
    this.keepAliveTimeout = timeout;
    return this;
  }

  /** How long a node that failed to answer is avoided (default 2 s). */
  public KvClientBuilder suspectFor(Duration suspectFor) {
    this.suspectFor = Objects.requireNonNull(suspectFor);
    return this;
  }

  /**
   * At most this many unfinished writes per shard (default: the cluster's exactly-once window, which is
   * also the upper bound; see {@code WriteWindow}); more wait in the client, in order.
   */
  public KvClientBuilder maxWritesInFlightPerShard(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max writes in flight per shard must be 1 or more, got " + max);
    }
    this.maxWritesPerShard = max;
    return this;
  }

  /**
   * Where answers arrive and the client's futures complete (default: gRPC's shared thread pool, so a
   * callback that blocks only holds up that pool's thread). Pass {@link #TRANSPORT_THREAD} to complete
   * them on the connection's own I/O thread: one thread hand-off less per call, the cheapest choice for
   * many requests in flight, but a callback that blocks then stalls every call on that connection (never
   * call the blocking view, or anything slow, from such a callback). Any other executor runs them there.
   */
  public KvClientBuilder callbackExecutor(Executor executor) {
    this.callbackExecutor = Objects.requireNonNull(executor);
    return this;
  }

  /**
   * Whether Get, Put and Delete travel on one long-lived {@code KV.Commands} stream per node (default
   * true; see {@code CommandStreams}) rather than as one unary RPC each. The answers are the same; the
   * stream saves each call's HTTP/2 stream set-up, headers and trailers on both ends. Nodes that do not
   * serve the stream get unary calls either way.
   */
  public KvClientBuilder commandStreams(boolean commandStreams) {
    this.commandStreams = commandStreams;
    return this;
  }

  /** For {@link #callbackExecutor}: complete futures on the connection's I/O thread. */
  public static final Executor TRANSPORT_THREAD = ChannelPool.TRANSPORT_THREAD;

  public KvClient build() {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("no seed endpoints: call seeds(\"host:port,...\")");
    }
    LoadBalancer lb = balancer == null ? LoadBalancingPolicy.ROUND_ROBIN.newBalancer() : balancer;
    long id = clientId != null ? clientId : randomClientId();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kvclient-retry");
      t.setDaemon(true);
      return t;
    });
    ChannelPool channels = new ChannelPool(keepAliveTime, keepAliveTimeout, callbackExecutor);
    RouteCache routes = new RouteCache(System::nanoTime, suspectFor);
    NodeCaller caller = new NodeCaller(channels, lb, commandStreams);
    long attemptNanos = attemptTimeout.toNanos();
    MapRefresher refresher = new MapRefresher(routes, caller, lb, seeds, attemptNanos);
    Retrier retrier = new Retrier(retryPolicy, scheduler, jitterSeed);
    return new KvClient(new KvClient.Shared(channels, routes, caller, refresher, retrier, lb, seeds, id,
        new WriteWindow(new AtomicLong()), maxWritesPerShard, scheduler, followerReads, attemptNanos),
        deadline);
  }

  private static long randomClientId() {
    long id;
    do {
      id = new java.security.SecureRandom().nextLong();
    } while (id == 0);
    return id;
  }
}
