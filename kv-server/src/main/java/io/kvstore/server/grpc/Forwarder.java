package io.kvstore.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.proto.v1.ResponseHeader;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.replica.LeaderHint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sends a request this node cannot serve to the node that can: the shard's leader as far as this node
 * knows, or, with no leader known and no local replica, one of the shard's replicas (which answers with the
 * leader it knows). One hop per attempt, at most two attempts: the first target, then the leader that the
 * first target's NotLeader answer names. The receiving node never forwards again ({@link
 * ForwardingMarker}). The caller's deadline rides along on every attempt.
 *
 * <p>Failures: a status from the target passes through unchanged; a target that cannot be reached, or no
 * target at all, becomes UNAVAILABLE with a NotLeader detail naming the leader this node knows.
 *
 * <p>Thread-safe; never blocks (async stubs). Futures complete on gRPC's threads.
 */
final class Forwarder {
  private final long selfId;
  private final LocalClusterMap map;
  private final PeerChannels channels;
  private final Counter forwarded;

  /**
   * @param registry where {@code kvstore_kv_forwarded_total{method, outcome}} is registered: one count per
   *     forwarding attempt, outcome {@code ok}, {@code redirected} (the target named another leader),
   *     {@code unreachable} or {@code failed} (any other status)
   */
  Forwarder(long selfId, LocalClusterMap map, PeerChannels channels, PrometheusRegistry registry) {
    this.selfId = selfId;
    this.map = map;
    this.channels = channels;
    this.forwarded =
        Counter.builder()
            .name("kvstore_kv_forwarded_total")
            .help("Requests this node forwarded to another node, by method and outcome")
            .labelNames("method", "outcome")
            .register(registry);
  }

  /**
   * Forwards {@code request} for {@code shardId}.
   *
   * @param hint the leader this node's replica believes in (may be unknown)
   * @param servedByLeader true when a successful answer proves that its serving node leads the shard (a
   *     write), so the answer's header updates the leader hint
   */
  <Q, R extends Message> CompletableFuture<R> forward(
      MethodDescriptor<Q, R> method,
      Q request,
      long shardId,
      LeaderHint hint,
      Deadline deadline,
      boolean servedByLeader) {
    List<Long> targets = targets(shardId, hint);
    if (targets.isEmpty()) {
      return CompletableFuture.failedFuture(noRoute(shardId, hint, "no other replica is known"));
    }
    return attempt(
        new Attempt<>(method, request, shardId, deadline, servedByLeader, targets),
        targets.get(0),
        MAX_ATTEMPTS);
  }

  /** Two: the first target, then the leader it names (or the next replica when it is unreachable). */
  static final int MAX_ATTEMPTS = 2;

  private record Attempt<Q, R>(
      MethodDescriptor<Q, R> method,
      Q request,
      long shardId,
      Deadline deadline,
      boolean servedByLeader,
      List<Long> targets) {}

  private <Q, R extends Message> CompletableFuture<R> attempt(
      Attempt<Q, R> a, long target, int attemptsLeft) {
    Channel channel = channels.channelTo(target);
    if (channel == null) {
      return CompletableFuture.failedFuture(
          noRoute(
              a.shardId(),
              LeaderHint.UNKNOWN,
              "node " + target + " has no address in the map, or this node is shutting down"));
    }
    CompletableFuture<R> result = new CompletableFuture<>();
    StreamObserver<R> answer =
        new StreamObserver<R>() {
          @Override
          public void onNext(R value) {
            forwarded.labelValues(a.method().getBareMethodName(), "ok").inc();
            if (a.servedByLeader()) {
              ResponseHeader h = ResponseHeaders.of(value);
              map.learnLeader(a.shardId(), h.getNodeId(), h.getTerm());
            }
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            // After the answer this changes nothing; without one, the target ended a stream unanswered.
            result.completeExceptionally(Status.UNAVAILABLE
                .withDescription("node " + target + " ended the " + a.method().getBareMethodName()
                    + " stream without an answer")
                .asRuntimeException());
          }
        };
    var call = channel.newCall(a.method(), CallOptions.DEFAULT.withDeadline(a.deadline()));
    if (a.method().getType() == MethodDescriptor.MethodType.UNARY) {
      ClientCalls.asyncUnaryCall(call, a.request(), answer);
    } else {
      // A streaming method (Lease/KeepAlive) is forwarded one request at a time: a stream of one request,
      // half-closed at once, whose first answer is the answer.
      StreamObserver<Q> requests = ClientCalls.asyncBidiStreamingCall(call, answer);
      requests.onNext(a.request());
      requests.onCompleted();
    }
    return result.exceptionallyCompose(
        t -> {
          Status status = Status.fromThrowable(t);
          NotLeader detail = notLeaderDetail(t);
          long named = detail == null ? 0 : detail.getLeaderNodeId();
          if (named != 0) {
            map.learnLeader(a.shardId(), named, detail.getTerm());
          }
          boolean again = attemptsLeft > 1 && !a.deadline().isExpired();
          boolean unreachable = status.getCode() == Status.Code.UNAVAILABLE && detail == null;
          boolean redirect = again && named != 0 && named != target && named != selfId;
          forwarded
              .labelValues(
                  a.method().getBareMethodName(),
                  redirect ? "redirected" : unreachable ? "unreachable" : "failed")
              .inc();
          if (redirect) {
            return attempt(a, named, attemptsLeft - 1);
          }
          if (unreachable) {
            // The target could not be reached (or is shutting down).
            channels.resetBackoff(target);
            int next = a.targets().indexOf(target) + 1;
            if (again && next > 0 && next < a.targets().size()) {
              return attempt(a, a.targets().get(next), attemptsLeft - 1);
            }
            return CompletableFuture.failedFuture(
                noRoute(
                    a.shardId(),
                    LeaderHint.UNKNOWN,
                    "forwarding to node " + target + " failed (" + status.getDescription() + ")"));
          }
          return CompletableFuture.failedFuture(t);
        });
  }

  /** The nodes to try, best first: the known leader, else the shard's other replicas. */
  private List<Long> targets(long shardId, LeaderHint hint) {
    List<Long> out = new ArrayList<>();
    if (hint.known() && hint.nodeId() != selfId) {
      out.add(hint.nodeId());
    }
    long mapHint = map.table().leaderHint(shardId);
    if (mapHint != 0 && mapHint != selfId && !out.contains(mapHint)) {
      out.add(mapHint);
    }
    for (long node : map.replicaNodes(shardId)) {
      if (node != selfId && !out.contains(node)) {
        out.add(node);
      }
    }
    return out;
  }

  private StatusRuntimeException noRoute(long shardId, LeaderHint hint, String why) {
    String address = hint.known() ? map.node(hint.nodeId()).map(n -> n.getAddress()).orElse("") : "";
    return KvStatuses.notLeader(
        "this node cannot serve shard "
            + shardId
            + " and cannot forward the request: "
            + why
            + "; back off and retry",
        NotLeader.newBuilder()
            .setShardId(shardId)
            .setLeaderNodeId(hint.nodeId())
            .setLeaderAddress(address)
            .setTerm(hint.term())
            .setEpoch(map.epoch())
            .build());
  }

  /** The NotLeader detail of a failed call, or null. */
  static NotLeader notLeaderDetail(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return null;
    }
    for (Any any : status.getDetailsList()) {
      if (any.is(NotLeader.class)) {
        try {
          return any.unpack(NotLeader.class);
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }
}
