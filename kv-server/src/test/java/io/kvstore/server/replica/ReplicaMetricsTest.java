package io.kvstore.server.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaMetricsTest {
  @TempDir
  Path dir;

  @Test
  void raftStorageCacheAndTransportMetricsAreExported() throws Exception {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).build().start();
    ClusterMap map = ClusterMap.newBuilder().setClusterId("m").setEpoch(1)
        .addNodes(Node.newBuilder().setId(1).setAddress("127.0.0.1:" + server.getPort()))
        .addShards(Shard.newBuilder().setId(1).addReplicas(Replica.newBuilder().setNodeId(1)))
        .build();
    PrometheusRegistry registry = new PrometheusRegistry();
    try (NodeReplicas node = NodeReplicas.start(1, "m", dir, map, ReplicaCluster.fastOptions(), registry)) {
      ReplicaCluster.await("a leader", () -> node.leadersHeld() == 1);
      for (int i = 0; i < 5; i++) {
        node.propose(1, new Command.Put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
            .setValue(ByteString.copyFromUtf8("v" + i)).build())).get(10, TimeUnit.SECONDS);
        node.read(1, Consistency.CONSISTENCY_LINEARIZABLE).get(10, TimeUnit.SECONDS).get(new byte[] {'k'});
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
      String text = out.toString(StandardCharsets.UTF_8);
      assertThat(text)
          .contains("kvstore_raft_term{shard=\"1\"}")
          .contains("kvstore_raft_leaders_held 1.0")
          .contains("kvstore_raft_groups 1.0")
          .contains("kvstore_raft_groups_quiet ") // a group of one voter has no one to go quiet with
          .contains("kvstore_transport_peers_reported_silent_total 0.0")
          .contains("kvstore_raft_proposals_total{outcome=\"ok\"} 5.0")
          .contains("kvstore_raft_commit_latency_seconds_count 5")
          .contains("kvstore_raft_apply_latency_seconds_bucket")
          .contains("kvstore_raft_log_entries")
          .contains("kvstore_storage_sync_latency_seconds_count")
          .contains("kvstore_storage_batch_entries_bucket")
          .contains("kvstore_storage_synced_writes_total")
          .contains("kvstore_cache_hit_ratio")
          .contains("kvstore_cache_hits_total")
          .contains("kvstore_reads_total{consistency=\"CONSISTENCY_LINEARIZABLE\"} 5.0")
          .contains("kvstore_transport_messages_sent_total");
    } finally {
      server.shutdownNow();
    }
  }
}
