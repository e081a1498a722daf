package io.kvstore.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bootstrap is deterministic, persisted, and a restart uses the stored map. */
class LocalClusterMapTest {
  @TempDir Path dir;

  private static final Limits LIMITS = Limits.newBuilder().setMaxKeyBytes(4096).build();

  private static List<Node> members() {
    return List.of(
        Node.newBuilder().setId(1).setAddress("127.0.0.1:7001").setWeight(1).build(),
        Node.newBuilder().setId(2).setAddress("127.0.0.1:7002").setWeight(2).build(),
        Node.newBuilder().setId(3).setAddress("127.0.0.1:7003").setWeight(1).build(),
        Node.newBuilder().setId(4).setAddress("127.0.0.1:7004").setWeight(1).build());
  }

  private static List<Node> reversed(List<Node> nodes) {
    List<Node> out = new java.util.ArrayList<>(nodes);
    java.util.Collections.reverse(out);
    return out;
  }

  @Test
  void everyNodeBootstrapsTheSameMap() {
    var a = LocalClusterMap.loadOrBootstrap(dir.resolve("a"), "c", members(), 16, 3, LIMITS);
    var b = LocalClusterMap.loadOrBootstrap(dir.resolve("b"), "c", reversed(members()), 16, 3, LIMITS);
    assertThat(a.epoch()).isEqualTo(1);
    assertThat(a.table().shards()).hasSize(16);
    assertThat(a.table().shards()).allSatisfy(s -> assertThat(s.getReplicasList()).hasSize(3));
    for (int s = 0; s < 16; s++) {
      assertThat(b.table().shards().get(s).getRangesList()).isEqualTo(a.table().shards().get(s).getRangesList());
      assertThat(b.replicaNodes(s + 1)).isEqualTo(a.replicaNodes(s + 1));
    }
  }

  @Test
  void aRestartUsesTheStoredMapNotTheFlags() throws Exception {
    var first = LocalClusterMap.loadOrBootstrap(dir, "c", members(), 16, 3, LIMITS);
    first.learnLeader(1, 2, 5);
    assertThat(Files.exists(dir.resolve(ClusterMapFile.FILE_NAME))).isTrue();
    // Different shard count and members: ignored, the stored map wins (and carries no leader hints).
    var again = LocalClusterMap.loadOrBootstrap(dir, "c", List.of(), 4, 1, LIMITS);
    assertThat(again.table().shards()).hasSize(16);
    assertThat(again.replicaNodes(7)).isEqualTo(first.replicaNodes(7));
    assertThat(again.table().leaderHint(1)).isZero();
  }

  @Test
  void aDataDirOfAnotherClusterOrWithoutAMapAndMembersIsRefused() {
    LocalClusterMap.loadOrBootstrap(dir, "c", members(), 16, 3, LIMITS);
    assertThatThrownBy(() -> LocalClusterMap.loadOrBootstrap(dir, "other", members(), 16, 3, LIMITS))
        .hasMessageContaining("belongs to cluster 'c'");
    assertThatThrownBy(() -> LocalClusterMap.loadOrBootstrap(dir.resolve("empty"), "c", List.of(), 16, 3, LIMITS))
        .hasMessageContaining("--initial-cluster");
  }

  @Test
  void leaderHintsOnlyMoveForward() {
    var map = LocalClusterMap.loadOrBootstrap(dir, "c", members(), 4, 3, LIMITS);
    map.learnLeader(2, 3, 7);
    map.learnLeader(2, 1, 6); // older term: ignored
    assertThat(map.table().leaderHint(2)).isEqualTo(3);
    var served = map.toClusterMap(shard -> shard == 2 ? new long[] {4, 8} : null);
    assertThat(served.getShardsList().get(1).getLeaderNodeId()).isEqualTo(4);
    assertThat(served.getShardsList().get(1).getLeaderTerm()).isEqualTo(8);
  }
}
