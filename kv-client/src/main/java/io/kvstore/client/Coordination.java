package io.kvstore.client;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseGrpc;
import io.kvstore.proto.v1.LeaseKeepAliveRequest;
import io.kvstore.proto.v1.LeaseKeepAliveResponse;
import io.kvstore.proto.v1.LeaseListRequest;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.proto.v1.LeaseRevokeResponse;
import io.kvstore.proto.v1.LeaseStatus;
import io.kvstore.proto.v1.LeaseTimeToLiveRequest;
import io.kvstore.proto.v1.LeaseTimeToLiveResponse;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockGrpc;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.LockReleaseResponse;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.WatchGrpc;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import io.kvstore.ring.KeyHash;
import java.util.HashSet;
import java.util.Set;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Leases, locks and watches (lease.proto, lock.proto, watch.proto) through a {@link KvClient}: its routing
 * (a lease or lock goes to the leader of its shard), its retries and its exactly-once sequences (a retried
 * Grant, Acquire or Release is applied at most once). Thread-safe; futures complete on gRPC threads.
 *
 * <pre>{@code
 * Coordination c = client.coordination();
 * long lease = c.grantLease(ByteString.copyFromUtf8("{job-7}"), 10_000).join().getId();
 * LockAcquireResponse lock = c.acquire(ByteString.copyFromUtf8("{job-7}"), lease, Duration.ofSeconds(30)).join();
 * client.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("{job-7}:state")).setValue(v)
 *     .setFence(Fence.newBuilder().setLock(ByteString.copyFromUtf8("{job-7}")).setToken(lock.getToken())).build());
 * }</pre>
 */
public final class Coordination {
  private static final int SHARD_SHIFT = 40;
  private final KvClient client;

  Coordination(KvClient client) {
    this.client = client;
  }

  /**
   * Waits for a future of this class: its value, or the {@link KvException} it failed with (as
   * {@link BlockingKvClient} does).
   */
  public static <T> T await(CompletableFuture<T> future) {
    return BlockingKvClient.await(future);
  }

  /** The shard a lease id names (lease.proto, "Lease ids"). */
  public static long shardOfLease(long leaseId) {
    return leaseId >>> SHARD_SHIFT;
  }

  /** Grants a lease of {@code ttlMillis} in the shard of {@code key} (use the key or lock it will guard). */
  public CompletableFuture<LeaseGrantResponse> grantLease(ByteString key, long ttlMillis) {
    return client.writeRouted("lease-grant", key, LeaseGrpc.getGrantMethod(),
        h -> LeaseGrantRequest.newBuilder().setHeader(h).setKey(key).setTtlMillis(ttlMillis).build(),
        LeaseGrantResponse::getHeader);
  }

  public CompletableFuture<LeaseRevokeResponse> revokeLease(long id) {
    return client.callLeaderOf("lease-revoke", shardOfLease(id), true, LeaseGrpc.getRevokeMethod(),
        h -> LeaseRevokeRequest.newBuilder().setHeader(h).setId(id).build(), LeaseRevokeResponse::getHeader);
  }

  public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(long id, boolean keys) {
    return client.callLeaderOf("lease-ttl", shardOfLease(id), false, LeaseGrpc.getTimeToLiveMethod(),
        h -> LeaseTimeToLiveRequest.newBuilder().setHeader(h).setId(id).setKeys(keys).build(),
        LeaseTimeToLiveResponse::getHeader);
  }

  /**
   * Renews a lease once, on its shard's leader (one short KeepAlive stream).
   *
   * @return the TTL granted; 0 when the lease is unknown (expired or revoked)
   */
  public CompletableFuture<Long> keepAliveOnce(long id) {
    return client.callLeaderOf("lease-keepalive", shardOfLease(id), false, LeaseGrpc.getKeepAliveMethod(),
        h -> LeaseKeepAliveRequest.newBuilder().setId(id).setClusterId(h.getClusterId()).build(),
        LeaseKeepAliveResponse::getHeader).thenApply(LeaseKeepAliveResponse::getTtlMillis);
  }

  /** Every lease of the cluster: each node lists the leases of the shards it leads. */
  public CompletableFuture<List<LeaseStatus>> listLeases() {
    return client.clusterMap().thenCompose((ClusterMap map) -> {
      List<CompletableFuture<List<LeaseStatus>>> parts = new ArrayList<>();
      for (var node : map.getNodesList()) {
        parts.add(client.callNode("lease-list", node.getAddress(), LeaseGrpc.getLeasesMethod(),
            LeaseListRequest.newBuilder().build()).thenApply(r -> r.getLeasesList())
            .exceptionally(e -> List.of()));
      }
      return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
        java.util.TreeMap<Long, LeaseStatus> byId = new java.util.TreeMap<>();
        parts.forEach(p -> p.join().forEach(l -> byId.put(l.getId(), l)));
        return List.copyOf(byId.values());
      });
    });
  }

  /** Tries once to acquire {@code name} for {@code lease}; {@code acquired} is false when it is held. */
  public CompletableFuture<LockAcquireResponse> tryAcquire(ByteString name, long lease) {
    return acquire(name, lease, false, client.deadline());
  }

  /**
   * Acquires {@code name} for {@code lease}, waiting in the lock's FIFO queue up to {@code wait}; fails with
   * DEADLINE_EXCEEDED (as a {@link KvException}) when the lock was not handed over in time.
   */
  public CompletableFuture<LockAcquireResponse> acquire(ByteString name, long lease, Duration wait) {
    return acquire(name, lease, true, wait);
  }

  private CompletableFuture<LockAcquireResponse> acquire(ByteString name, long lease, boolean wait, Duration d) {
    return (wait ? client.forLongCalls(d) : client.withDeadline(d)).writeRouted("lock-acquire", name, LockGrpc.getAcquireMethod(),
        h -> LockAcquireRequest.newBuilder().setHeader(h).setName(name).setLease(lease).setWait(wait).build(),
        LockAcquireResponse::getHeader);
  }

  public CompletableFuture<LockReleaseResponse> release(ByteString name, long lease) {
    return client.writeRouted("lock-release", name, LockGrpc.getReleaseMethod(),
        h -> LockReleaseRequest.newBuilder().setHeader(h).setName(name).setLease(lease).build(),
        LockReleaseResponse::getHeader);
  }

  /**
   * Opens a watch on the node that serves it soonest, as the cluster map routes it: a key's watch, or a
   * prefix holding a complete hash tag ({@code "job:{7}:"}, one shard), on the leader of that shard, which
   * applies a change first (the first replica when no leader is known: any replica serves a watch); any
   * other prefix on a node that hosts every shard (the lowest id), or {@code observer.onError}
   * FAILED_PRECONDITION when no node does (then watch per hash tag or per key). The map is fetched first
   * when the client has none. Events, progress and the end of the stream arrive as with
   * {@link #watch(String, WatchRequest, StreamObserver)}; resuming after a failure is the caller's, again
   * through this method, which routes to the shard's new leader.
   */
  public Context.CancellableContext watch(WatchRequest request, StreamObserver<WatchResponse> observer) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    client.clusterMap().whenComplete((map, failure) -> {
      if (failure != null) {
        observer.onError(Failure.statusOf(failure).asRuntimeException());
        return;
      }
      String address;
      try {
        address = watchAddress(client.cachedView(), request);
      } catch (StatusRuntimeException refused) {
        observer.onError(refused);
        return;
      }
      ctx.run(() -> WatchGrpc.newStub(client.channelTo(address)).watch(request, observer));
    });
    return ctx;
  }

  /** Where {@link #watch(WatchRequest, StreamObserver)} opens {@code request} (see there). */
  String watchAddress(ClusterView view, WatchRequest request) {
    if (view == null || view.nodes().isEmpty()) {
      throw Status.UNAVAILABLE.withDescription("no cluster map: no node to watch on").asRuntimeException();
    }
    if (!view.routable()) {
      return view.nodes().get(0).getAddress(); // nothing to route with: the node answers as it can
    }
    ByteString oneShard = request.hasKey() ? request.getKey()
        : KeyHash.fixesShard(request.getPrefix()) ? request.getPrefix() : null;
    long node;
    if (oneShard != null) {
      Shard shard = view.table().shardForKey(oneShard);
      long leader = client.cachedLeader(oneShard);
      node = leader != 0 ? leader : shard.getReplicasCount() > 0 ? shard.getReplicas(0).getNodeId() : 0;
    } else {
      Set<Long> hostsAll = null;
      for (Shard shard : view.table().shards()) {
        Set<Long> hosts = new HashSet<>();
        shard.getReplicasList().forEach(r -> hosts.add(r.getNodeId()));
        if (hostsAll == null) {
          hostsAll = hosts;
        } else {
          hostsAll.retainAll(hosts);
        }
      }
      if (hostsAll == null || hostsAll.isEmpty()) {
        throw Status.FAILED_PRECONDITION.withDescription("no node hosts every shard, so no node can serve a watch"
            + " on prefix '" + request.getPrefix().toStringUtf8() + "'; watch a prefix with a hash tag ('job:{7}:')"
            + " or single keys instead").asRuntimeException();
      }
      node = java.util.Collections.min(hostsAll);
    }
    return view.node(node).map(io.kvstore.proto.v1.Node::getAddress)
        .orElseGet(() -> view.nodes().get(0).getAddress());
  }

  /**
   * Opens a watch on the node at {@code address} (which must host every shard the watch touches); events
   * and progress arrive on {@code observer} until the returned context is cancelled or the stream fails.
   * Resuming after a failure is the caller's: watch again with start_versions = last version + 1.
   */
  public Context.CancellableContext watch(String address, WatchRequest request, StreamObserver<WatchResponse> observer) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(() -> WatchGrpc.newStub(client.channelTo(address)).watch(request, observer));
    return ctx;
  }
}
