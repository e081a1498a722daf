package io.kvstore.client;

import io.grpc.Status;
import io.kvstore.client.balance.LoadBalancer;
import io.kvstore.client.balance.Target;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.GetClusterMapRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Fetches the cluster map from any node and installs it in the {@link RouteCache}: single-flight (callers
 * that ask while a fetch is running share it), asking with {@code known_epoch} so an unchanged map costs
 * a tiny answer.
 *
 * <p>Nodes are tried one after another, each chosen by the {@link LoadBalancer} among those not tried yet
 * in this fetch: the nodes of the current view, then the seed endpoints (so a client whose whole view
 * moved away can still start over from its seeds). The fetch fails with UNAVAILABLE only when none answers.
 *
 * <p>Thread-safe; never blocks; futures complete on gRPC threads.
 */
final class MapRefresher {
  private final RouteCache routes;
  private final NodeCaller caller;
  private final LoadBalancer balancer;
  private final List<Endpoint> seeds;
  private final long fetchTimeoutNanos;
  private CompletableFuture<ClusterView> inFlight; // guarded by this
  private volatile boolean mustWait; // the next attempt waits for a fresh map (after a StaleEpoch)

  MapRefresher(RouteCache routes, NodeCaller caller, LoadBalancer balancer, List<Endpoint> seeds,
      long fetchTimeoutNanos) {
    this.routes = routes;
    this.caller = caller;
    this.balancer = balancer;
    this.seeds = List.copyOf(seeds);
    this.fetchTimeoutNanos = fetchTimeoutNanos;
  }

  /**
   * The view to route an attempt with: the current one, or the result of a fetch when there is none yet or
   * a StaleEpoch answer made the current one unusable.
   */
  CompletableFuture<ClusterView> viewFor(Deadline deadline) {
    ClusterView v = routes.view();
    if (v != null && !mustWait) {
      return CompletableFuture.completedFuture(v);
    }
    return refresh(deadline);
  }

  /** A StaleEpoch answer: the next attempt must wait for a newer map. */
  void requireFresh(Deadline deadline) {
    mustWait = true;
    refresh(deadline);
  }

  /** Starts a fetch unless one is running; returns the running fetch. */
  synchronized CompletableFuture<ClusterView> refresh(Deadline deadline) {
    if (inFlight != null) {
      return inFlight;
    }
    CompletableFuture<ClusterView> f = new CompletableFuture<>();
    inFlight = f;
    ClusterView current = routes.view();
    tryNext(candidates(current), current == null ? 0 : current.epoch(), deadline, null, f);
    f.whenComplete((v, e) -> {
      synchronized (this) {
        inFlight = null;
      }
      if (e == null) {
        mustWait = false;
      }
    });
    return f;
  }

  private List<Target> candidates(ClusterView current) {
    Map<String, Target> byAddress = new LinkedHashMap<>();
    if (current != null) {
      for (Target t : routes.allTargets()) {
        byAddress.put(t.address(), t);
      }
    }
    for (Endpoint e : seeds) {
      byAddress.putIfAbsent(e.toString(), new Target(e.toString(), 0, 1));
    }
    // Suspect nodes go last: they are tried only when everything else failed.
    List<Target> healthy = new ArrayList<>();
    List<Target> suspect = new ArrayList<>();
    for (Target t : byAddress.values()) {
      (routes.isSuspect(t.address()) ? suspect : healthy).add(t);
    }
    healthy.addAll(suspect);
    return healthy;
  }

  private void tryNext(List<Target> left, long knownEpoch, Deadline deadline, Throwable lastError,
      CompletableFuture<ClusterView> result) {
    long remaining = deadline.remainingNanos();
    if (remaining <= 0 && lastError == null) {
      result.completeExceptionally(Status.DEADLINE_EXCEEDED
          .withDescription("the deadline passed before the cluster map could be fetched").asRuntimeException());
      return;
    }
    if (left.isEmpty() || remaining <= 0) {
      Status s = lastError == null ? Status.UNAVAILABLE.withDescription("no node to fetch the cluster map from")
          : Failure.statusOf(lastError);
      // Keep the last error's code and cause (a connection failure stays "not answered").
      result.completeExceptionally(s.withDescription("no node answered GetClusterMap (tried "
          + addresses() + "); last: " + Failure.classify(s.asRuntimeException()).describe()).asRuntimeException());
      return;
    }
    // Healthy candidates first, chosen among by the balancer; suspects only after them.
    List<Target> healthy = left.stream().filter(t -> !routes.isSuspect(t.address())).toList();
    Target target = balancer.pick(healthy.isEmpty() ? left : healthy);
    List<Target> rest = new ArrayList<>(left);
    rest.remove(target);
    GetClusterMapRequest req = GetClusterMapRequest.newBuilder().setKnownEpoch(knownEpoch).build();
    caller.unary(target, ClusterGrpc.getGetClusterMapMethod(), req, Math.min(remaining, fetchTimeoutNanos))
        .whenComplete((map, error) -> {
          if (error != null) {
            Failure f = Failure.classify(error);
            if (!f.answered()) {
              routes.markSuspect(target.address(), target.nodeId());
            }
            tryNext(rest, knownEpoch, deadline, error, result);
            return;
          }
          routes.markAnswered(target.address());
          result.complete(install(map));
        });
  }

  private ClusterView install(ClusterMap map) {
    if (!map.getUnchanged()) {
      routes.install(ClusterView.of(map));
    }
    ClusterView v = routes.view();
    return v != null ? v : ClusterView.of(map);
  }

  private String addresses() {
    List<String> all = new ArrayList<>();
    for (Endpoint e : seeds) {
      all.add(e.toString());
    }
    ClusterView v = routes.view();
    if (v != null) {
      v.nodes().forEach(n -> {
        if (!all.contains(n.getAddress())) {
          all.add(n.getAddress());
        }
      });
    }
    return String.join(",", all);
  }
}
