package io.kvstore.server.grpc;

import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.ClusterGrpc;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.GetClusterMapRequest;
import io.kvstore.proto.v1.GetNodeStatusRequest;
import io.kvstore.proto.v1.NodeStatus;
import java.util.function.Supplier;

/**
 * The public {@code kvstore.v1.Cluster} service: the cluster map and this node's status, answered from
 * the node's own copies. Never blocks on other nodes.
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final Supplier<ClusterMap> clusterMap;
  private final Supplier<NodeStatus> nodeStatus;

  public ClusterService(Supplier<ClusterMap> clusterMap, Supplier<NodeStatus> nodeStatus) {
    this.clusterMap = clusterMap;
    this.nodeStatus = nodeStatus;
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
}
