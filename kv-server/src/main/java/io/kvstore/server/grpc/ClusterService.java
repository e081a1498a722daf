package io.kvstore.server.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.AddMemberRequest;
import io.kvstore.proto.v1.AddMemberResponse;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.ListMembersRequest;
import io.kvstore.proto.v1.ListMembersResponse;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.RemoveMemberRequest;
import io.kvstore.proto.v1.RemoveMemberResponse;
import io.kvstore.server.membership.MembershipCoordinator;
import io.kvstore.server.membership.MembershipException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The public {@code kvstore.v1.Cluster} service: the cluster map and this node's status, answered from
 * the node's own copies without blocking on other nodes; and the membership calls, handed to the
 * {@link MembershipCoordinator} (which forwards them to the map group's leader).
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final Supplier<ClusterMap> clusterMap;
  private final Supplier<NodeStatus> nodeStatus;
  private final MembershipCoordinator membership;

  public ClusterService(Supplier<ClusterMap> clusterMap, Supplier<NodeStatus> nodeStatus) {
    this(clusterMap, nodeStatus, null);
  }

  /** With {@code membership} null, the membership calls answer UNIMPLEMENTED. */
  public ClusterService(Supplier<ClusterMap> clusterMap, Supplier<NodeStatus> nodeStatus,
      MembershipCoordinator membership) {
    this.clusterMap = clusterMap;
    this.nodeStatus = nodeStatus;
    this.membership = membership;
  }

  @Override
  public void getClusterMap(GetClusterMapRequest request, StreamObserver<ClusterMap> response) {
    ClusterMap map = clusterMap.get();
    if (request.getKnownEpoch() != 0 && request.getKnownEpoch() == map.getEpoch()) {
      map = ClusterMap.newBuilder().setEpoch(map.getEpoch()).setUnchanged(true).build();
    }
    response.onNext(map);
    response.onCompleted();
  }

  @Override
  public void getNodeStatus(GetNodeStatusRequest request, StreamObserver<NodeStatus> response) {
    response.onNext(nodeStatus.get());
    response.onCompleted();
  }

  @Override
  public void addMember(AddMemberRequest request, StreamObserver<AddMemberResponse> response) {
    if (membership == null) {
      unimplemented(response);
      return;
    }
    if (!request.hasNode()) {
      response.onError(KvStatuses.invalidArgument("node is required: its id, address and weight"));
      return;
    }
    reply(membership.addMember(request, ForwardingMarker.forwardedBy()), response);
  }

  @Override
  public void removeMember(RemoveMemberRequest request, StreamObserver<RemoveMemberResponse> response) {
    if (membership == null) {
      unimplemented(response);
      return;
    }
    reply(membership.removeMember(request, ForwardingMarker.forwardedBy()), response);
  }

  @Override
  public void listMembers(ListMembersRequest request, StreamObserver<ListMembersResponse> response) {
    if (membership == null) {
      unimplemented(response);
      return;
    }
    response.onNext(membership.listMembers());
    response.onCompleted();
  }

  private static void unimplemented(StreamObserver<?> response) {
    response.onError(Status.UNIMPLEMENTED
        .withDescription("this node runs without elastic membership (no cluster-map group)").asRuntimeException());
  }

  private static <T> void reply(CompletableFuture<T> f, StreamObserver<T> response) {
    f.whenComplete((value, failure) -> {
      try {
        if (failure == null) {
          response.onNext(value);
          response.onCompleted();
        } else {
          response.onError(toStatus(KvStatuses.unwrap(failure)));
        }
      } catch (RuntimeException cancelled) {
        // the call ended meanwhile
      }
    });
  }

  private static StatusRuntimeException toStatus(Throwable t) {
    if (t instanceof MembershipException me) {
      return me.toStatus();
    }
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (t instanceof io.kvstore.server.replica.NotLeaderException
        || t instanceof io.kvstore.server.replica.ShardUnavailableException
        || t instanceof io.kvstore.server.replica.ResultUnknownException) {
      return Status.UNAVAILABLE.withDescription("the cluster-map group is changing leaders (" + t.getMessage()
          + "); retry").asRuntimeException();
    }
    return Status.INTERNAL.withDescription(t.toString()).asRuntimeException();
  }
}
