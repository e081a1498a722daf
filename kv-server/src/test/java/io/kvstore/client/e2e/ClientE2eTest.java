package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.client.BlockingKvClient;
import io.kvstore.client.KvClient;
import io.kvstore.client.balance.LoadBalancingPolicy;
import io.kvstore.client.balance.RandomChoice;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The routing client against real nodes: leaders, scans, batches, load balancing. */
class ClientE2eTest {
  /** A 3-node cluster (weights 1, 2, 3; 4 shards) for this class's tests; stopped after them. */
  @TempDir static Path clusterDir;
  static RealCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = new RealCluster(clusterDir, 3, 4, new int[] {1, 2, 3});
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void writesGoToTheShardLeaderAndTheClientCachesIt() {
    try (KvClient client = cluster.client().build()) {
      BlockingKvClient kv = client.blocking();
      for (int i = 0; i < 40; i++) {
        kv.put(b("route-" + i), b("v" + i));
      }
      for (int i = 0; i < 40; i++) {
        ByteString key = b("route-" + i);
        assertThat(kv.get(key).getKv().getValue()).isEqualTo(b("v" + i));
        long shard = client.cachedView().table().shardForKey(key).getId();
        assertThat(client.cachedLeader(key)).as("cached leader of shard %d", shard)
            .isEqualTo(cluster.leaderOf(shard));
      }
    }
  }

  @Test
  void scansSplitPerShardMergeInKeyOrder() {
    try (KvClient client = cluster.client().build()) {
      BlockingKvClient kv = client.blocking();
      SplittableRandom random = new SplittableRandom(17);
      TreeMap<ByteString, ByteString> expected = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
      List<KeyValue> kvs = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String prefix = random.nextInt(3) == 0 ? "scan/b/" : "scan/a/";
        ByteString key = b(prefix + Long.toHexString(random.nextLong()));
        expected.put(key, b("v" + i));
        kvs.add(KeyValue.newBuilder().setKey(key).setValue(b("v" + i)).build());
      }
      assertThat(kv.batchPut(kvs)).hasSize(400).allMatch(v -> v > 0);

      ScanRequest prefixA = ScanRequest.newBuilder().setPrefix(b("scan/a/")).setLimit(16).build();
      List<KeyValue> merged = kv.scan(prefixA, 0);
      TreeMap<ByteString, ByteString> wantA = new TreeMap<>(expected.subMap(b("scan/a/"), b("scan/a0")));
      assertThat(merged.stream().map(KeyValue::getKey).toList()).containsExactlyElementsOf(wantA.keySet());
      assertThat(merged.stream().map(KeyValue::getValue).toList()).containsExactlyElementsOf(wantA.values());

      // The node's own cross-shard Scan, paged with continuation tokens, agrees.
      List<ByteString> paged = new ArrayList<>();
      ScanRequest page = prefixA;
      while (true) {
        ScanResponse r = kv.scanPage(page);
        r.getKvsList().forEach(e -> paged.add(e.getKey()));
        if (r.getContinuationToken().isEmpty()) {
          break;
        }
        page = prefixA.toBuilder().setContinuationToken(r.getContinuationToken()).build();
      }
      assertThat(paged).containsExactlyElementsOf(wantA.keySet());

      // A limit stops the merge at the first N keys of the whole range, whatever their shards.
      List<KeyValue> first25 = kv.scan(ScanRequest.newBuilder().setPrefix(b("scan/")).build(), 25);
      assertThat(first25.stream().map(KeyValue::getKey).toList())
          .containsExactlyElementsOf(expected.keySet().stream().limit(25).toList());

      List<ByteString> keys = new ArrayList<>(expected.keySet()).subList(0, 50);
      List<ByteString> reversed = new ArrayList<>(keys);
      java.util.Collections.reverse(reversed);
      reversed.add(b("scan/none"));
      List<GetResponse> got = kv.batchGet(reversed, Consistency.CONSISTENCY_LINEARIZABLE);
      for (int i = 0; i < 50; i++) {
        assertThat(got.get(i).getKv().getValue()).isEqualTo(expected.get(reversed.get(i)));
      }
      assertThat(got.get(50).getFound()).isFalse();
    }
  }

  /** STALE reads of one key, 300 of them, counted per node by the nodes' own request metrics. */
  private static Map<Long, Long> staleGetsPerNode(RealCluster cluster, KvClient client, int n) {
    Map<Long, Long> before = new HashMap<>();
    for (long id = 1; id <= 3; id++) {
      before.put(id, cluster.served(id, "kvstore.v1.KV/Get"));
    }
    for (int i = 0; i < n; i++) {
      assertThat(client.blocking().get(b("lb-key"), Consistency.CONSISTENCY_STALE).getFound()).isTrue();
    }
    Map<Long, Long> per = new HashMap<>();
    for (long id = 1; id <= 3; id++) {
      per.put(id, cluster.served(id, "kvstore.v1.KV/Get") - before.get(id));
    }
    return per;
  }

  @Test
  void eachLoadBalancingPolicySpreadsStaleReadsAsItsNameSays() {
    try (KvClient writer = cluster.client().build()) {
      writer.blocking().put(b("lb-key"), b("v"));
      // Every replica has applied it before reads that may go to any replica start.
      RealCluster.await(Duration.ofSeconds(10), "every replica applied lb-key", () -> {
        for (long id = 1; id <= 3; id++) {
          if (!writer.blocking().nodeStatus(cluster.address(id)).getShardsList().stream()
              .allMatch(s -> s.getAppliedIndex() >= s.getCommitIndex())) {
            return false;
          }
        }
        return true;
      });
    }
    // Round robin: the same share each.
    try (KvClient c = cluster.client().loadBalancing(LoadBalancingPolicy.ROUND_ROBIN).build()) {
      c.blocking().get(b("lb-key"), Consistency.CONSISTENCY_STALE); // fetch the map first
      assertThat(staleGetsPerNode(cluster, c, 300).values()).containsOnly(100L);
    }
    // Weighted round robin: shares 1 : 2 : 3, the nodes' configured weights.
    try (KvClient c = cluster.client().loadBalancing(LoadBalancingPolicy.WEIGHTED_ROUND_ROBIN).build()) {
      c.blocking().get(b("lb-key"), Consistency.CONSISTENCY_STALE);
      assertThat(staleGetsPerNode(cluster, c, 300)).containsEntry(1L, 50L).containsEntry(2L, 100L)
          .containsEntry(3L, 150L);
    }
    // Random (seeded): every node gets a fair share, none exactly scheduled.
    try (KvClient c = cluster.client().loadBalancer(new RandomChoice(5)).build()) {
      c.blocking().get(b("lb-key"), Consistency.CONSISTENCY_STALE);
      Map<Long, Long> random = staleGetsPerNode(cluster, c, 300);
      assertThat(random.values()).allMatch(v -> v >= 70 && v <= 130);
    }
    // Least outstanding with one request at a time: all idle, so ties rotate and the load is even.
    try (KvClient c = cluster.client().loadBalancing(LoadBalancingPolicy.LEAST_OUTSTANDING).build()) {
      c.blocking().get(b("lb-key"), Consistency.CONSISTENCY_STALE);
      assertThat(staleGetsPerNode(cluster, c, 300).values()).containsOnly(100L);
    }
  }
}
