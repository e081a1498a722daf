package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.ResponseHeader;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.replica.NotLeaderException;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.replica.ShardUnavailableException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What the Lease and Lock services share with each other (and, in spirit, with {@link KvService}): the
 * call's deadline and origin, forwarding to the shard's leader when this node's replica does not lead, and
 * answering (on the thread that completes the result) with the status {@link KvStatuses} maps a failure to.
 *
 * <p>Thread-safe; never blocks.
 */
final class LeaderCalls {
  /** The deadline and origin of one call, captured on the handler's thread. */
  record Call(Deadline deadline, boolean forwarded) {
    static Call begin() {
      Deadline d = Context.current().getDeadline();
      if (d == null) {
        d = Deadline.after(KvService.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      return new Call(d, ForwardingMarker.forwardedBy() != 0);
    }
  }

  final long selfId;
  final LocalClusterMap map;
  final ShardReplicas replicas;
  final Executor executor;
  private final Forwarder forwarder;

  LeaderCalls(long selfId, LocalClusterMap map, ShardReplicas replicas, PeerChannels channels, Executor executor) {
    this.selfId = selfId;
    this.map = map;
    this.replicas = replicas;
    this.executor = executor;
    // Its own registry: the KV service registers the node's forwarding counter.
    this.forwarder = new Forwarder(selfId, map, channels, new PrometheusRegistry());
  }

  long shardOf(ByteString key) {
    return map.table().shardForKey(key).getId();
  }

  /** A wrong cluster id is FAILED_PRECONDITION, as for every KV call. */
  void checkCluster(String clusterId) {
    if (!clusterId.isEmpty() && !clusterId.equals(map.clusterId())) {
      throw KvStatuses.failedPrecondition("this node belongs to cluster '" + map.clusterId()
          + "', not '" + clusterId + "'");
    }
  }

  void checkHeader(RequestHeader h) {
    checkCluster(h.getClusterId());
  }

  ResponseHeader header(long shard) {
    return ResponseHeader.newBuilder().setShardId(shard).setNodeId(selfId)
        .setTerm(replicas.leaderHint(shard).term()).setEpoch(map.epoch()).build();
  }

  /** After a local failure: forward to the leader unless the call was itself forwarded. */
  <Q, R extends Message> CompletableFuture<R> orForward(Call call, long shard, Throwable failure,
      MethodDescriptor<Q, R> method, Q request) {
    Throwable cause = KvStatuses.unwrap(failure);
    if (call.forwarded()) {
      return CompletableFuture.failedFuture(cause);
    }
    if (cause instanceof NotLeaderException nl) {
      if (!nl.leader().known() || nl.leader().nodeId() == selfId) {
        return CompletableFuture.failedFuture(cause);
      }
      return forwarder.forward(method, request, shard, nl.leader(), call.deadline(), true);
    }
    if (cause instanceof ShardUnavailableException) {
      return forwarder.forward(method, request, shard, replicas.leaderHint(shard), call.deadline(), true);
    }
    return CompletableFuture.failedFuture(cause);
  }

  /** Answers a unary call with the result, or the failure's status, bounded by the call's deadline. */
  <R> void reply(Call call, CompletableFuture<R> result, StreamObserver<R> out, KvStatuses.Kind kind) {
    long nanos = Math.max(1, call.deadline().timeRemaining(TimeUnit.NANOSECONDS));
    // Answered on the completing thread (never a replica loop: replicas complete on their callback pool);
    // see KvService.reply.
    result.orTimeout(nanos, TimeUnit.NANOSECONDS).whenComplete((response, failure) -> {
      if (out instanceof ServerCallStreamObserver<R> s && s.isCancelled()) {
        return;
      }
      try {
        if (failure == null) {
          out.onNext(response);
          out.onCompleted();
        } else {
          out.onError(toStatus(failure, kind));
        }
      } catch (RuntimeException raced) {
        // Cancelled between the check and the answer.
      }
    });
  }

  StatusRuntimeException toStatus(Throwable failure, KvStatuses.Kind kind) {
    return KvStatuses.toStatus(failure, kind, map.epoch(),
        id -> map.node(id).map(n -> n.getAddress()).orElse(""));
  }

  /** Runs a validation; on failure answers the call and returns false. */
  static boolean check(StreamObserver<?> out, Runnable validation) {
    try {
      validation.run();
      return true;
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return false;
    }
  }

  static <T> CompletableFuture<T> start(java.util.function.Supplier<CompletableFuture<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
