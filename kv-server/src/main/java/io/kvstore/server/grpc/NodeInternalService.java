package io.kvstore.server.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.grpc.CrossShardScan.ShardPage;
import io.kvstore.server.grpc.KvStatuses.Kind;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.server.membership.MapGroup;
import io.kvstore.server.proto.ChangeReplicasRequest;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.proto.ShardMembership;
import io.kvstore.server.proto.ScanShardRequest;
import io.kvstore.server.proto.ScanShardResponse;
import io.kvstore.server.replica.ShardReplicas;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The node-to-node {@code kvstore.server.v1.NodeInternal} service: one shard's part of a Scan, served by
 * this node's replica of the shard and never forwarded (see internal.proto).
 *
 * <p>Threading: as {@link KvService}: the read and the answer run on {@code executor}.
 */
public final class NodeInternalService extends NodeInternalGrpc.NodeInternalImplBase {
  private final long selfId;
  private final LocalClusterMap map;
  private final ShardReplicas replicas;
  private final RequestValidator validator;
  private final Executor executor;

  public NodeInternalService(
      long selfId, LocalClusterMap map, ShardReplicas replicas, Executor executor) {
    this.selfId = selfId;
    this.map = map;
    this.replicas = replicas;
    this.validator = new RequestValidator(map.clusterId(), map::limits, k -> 0);
    this.executor = executor;
  }

  @Override
  public void scanShard(ScanShardRequest r, StreamObserver<ScanShardResponse> out) {
    try {
      validator.clusterId(r.getClusterId());
      validator.consistency(r.getConsistencyValue());
      long limit = Integer.toUnsignedLong(r.getLimit()); // a uint32
      if (limit < 1 || limit > ScanBounds.MAX_LIMIT) {
        throw KvStatuses.invalidArgument(
            "limit must be 1 to " + ScanBounds.MAX_LIMIT + ", got " + limit);
      }
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    byte[] end = r.getEnd().isEmpty() ? null : r.getEnd().toByteArray();
    CompletableFuture<ScanShardResponse> f;
    try {
      f =
          replicas
              .read(r.getShardId(), r.getConsistency())
              .thenApplyAsync(
                  view -> {
                    ShardPage page =
                        CrossShardScan.trimmed(
                            view.scan(r.getStart().toByteArray(), end, r.getLimit(), r.getKeysOnly()),
                            r.getLimit());
                    return ScanShardResponse.newBuilder()
                        .addAllKvs(page.kvs())
                        .setMayHaveMore(page.mayHaveMore())
                        .setTerm(view.term())
                        .setNodeId(selfId)
                        .build();
                  },
                  executor);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenCompleteAsync(
        (response, failure) -> {
          if (out instanceof ServerCallStreamObserver<ScanShardResponse> s && s.isCancelled()) {
            return;
          }
          try {
            if (failure == null) {
              out.onNext(response);
              out.onCompleted();
            } else {
              out.onError(
                  KvStatuses.toStatus(
                      failure,
                      Kind.READ,
                      map.epoch(),
                      id -> map.node(id).map(n -> n.getAddress()).orElse("")));
            }
          } catch (RuntimeException raced) {
            // cancelled meanwhile
          }
        },
        executor);
  }

  @Override
  public void changeReplicas(ChangeReplicasRequest r, StreamObserver<ShardMembership> out) {
    try {
      validator.clusterId(r.getClusterId());
      if (r.getAction() != ChangeReplicasRequest.Action.ACTION_NONE && r.getNodeId() < 1) {
        throw KvStatuses.invalidArgument("node_id must be 1 or more for " + r.getAction());
      }
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    replicas.changeReplicas(r.getShardId(), r.getAction(), r.getNodeId()).whenCompleteAsync(
        (m, failure) -> {
          try {
            if (failure == null) {
              out.onNext(m);
              out.onCompleted();
            } else {
              out.onError(KvStatuses.toStatus(failure, Kind.WRITE, map.epoch(),
                  id -> map.node(id).map(n -> n.getAddress()).orElse("")));
            }
          } catch (RuntimeException raced) {
            // cancelled meanwhile
          }
        },
        executor);
  }

  @Override
  public void getMapRecord(GetClusterMapRequest r, StreamObserver<ClusterMap> out) {
    MapGroup.read(replicas, Consistency.CONSISTENCY_STALE).whenCompleteAsync(
        (record, failure) -> {
          try {
            if (failure != null) {
              out.onError(KvStatuses.toStatus(failure, Kind.READ, map.epoch(),
                  id -> map.node(id).map(n -> n.getAddress()).orElse("")));
            } else if (record.isEmpty()) {
              out.onError(io.grpc.Status.UNAVAILABLE
                  .withDescription("node " + selfId + " holds no cluster-map record yet; retry").asRuntimeException());
            } else {
              ClusterMap rec = record.get().record();
              out.onNext(r.getKnownEpoch() != 0 && r.getKnownEpoch() == rec.getEpoch()
                  ? ClusterMap.newBuilder().setEpoch(rec.getEpoch()).setUnchanged(true).build() : rec);
              out.onCompleted();
            }
          } catch (RuntimeException raced) {
            // cancelled meanwhile
          }
        },
        executor);
  }
}
