package io.kvstore.server.replica;

import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.ReplicaRole;
import io.kvstore.proto.v1.Shard;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.storage.StoreBatch;
import java.util.List;

/**
 * Creates the initial state of a new shard's replica, the same on every initial member (so bootstrap is
 * deterministic): as the Raft core's bootstrap notes require, a log compacted at index 1, term 1, whose
 * membership is the shard's replicas in the cluster map (voters and learners), a hard state of term 1 and
 * commit 1, and an empty state machine applied up to index 1.
 */
final class ShardBootstrap {
  private ShardBootstrap() {}

  static ConfState membership(Shard shard) {
    ConfState.Builder cs = ConfState.newBuilder();
    List<Replica> replicas = shard.getReplicasList().stream()
        .sorted((a, b) -> Long.compareUnsigned(a.getNodeId(), b.getNodeId())).toList();
    for (Replica r : replicas) {
      if (r.getRole() == ReplicaRole.REPLICA_ROLE_LEARNER) {
        cs.addLearners(r.getNodeId());
      } else {
        cs.addVoters(r.getNodeId());
      }
    }
    return cs.build();
  }

  /** Adds the bootstrap of {@code shard} to a batch; write it with SYNC. */
  static void add(StoreBatch batch, Shard shard) {
    batch.bootstrap(shard.getId(), membership(shard));
  }
}
