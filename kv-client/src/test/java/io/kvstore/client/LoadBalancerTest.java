package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvstore.client.balance.LeastOutstanding;
import io.kvstore.client.balance.LoadBalancingPolicy;
import io.kvstore.client.balance.RandomChoice;
import io.kvstore.client.balance.RoundRobin;
import io.kvstore.client.balance.Target;
import io.kvstore.client.balance.WeightedRoundRobin;
import io.kvstore.proto.v1.Consistency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * Each load-balancing policy spreads load as its name says: first the policy alone (picks counted), then a
 * client using it for STALE reads against a {@link FakeCluster} (requests counted per node).
 */
class LoadBalancerTest {
  private static final List<Target> THREE = List.of(new Target("a:1", 1, 1), new Target("b:1", 2, 2),
      new Target("c:1", 3, 3));

  static Map<String, Integer> picks(io.kvstore.client.balance.LoadBalancer lb, List<Target> ts, int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(lb.pick(ts).address(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobinTakesEachInTurn() {
    assertThat(picks(new RoundRobin(), THREE, 300)).containsEntry("a:1", 100).containsEntry("b:1", 100)
        .containsEntry("c:1", 100);
  }

  @Test
  void weightedRoundRobinFollowsTheWeightsExactlyOverEachCycle() {
    WeightedRoundRobin lb = new WeightedRoundRobin();
    assertThat(picks(lb, THREE, 6)).containsEntry("a:1", 1).containsEntry("b:1", 2).containsEntry("c:1", 3);
    // The order the candidates are listed in does not matter.
    assertThat(picks(lb, List.of(THREE.get(2), THREE.get(0), THREE.get(1)), 600))
        .containsEntry("a:1", 100).containsEntry("b:1", 200).containsEntry("c:1", 300);
  }

  @Test
  void leastOutstandingPicksTheLeastBusy() {
    LeastOutstanding lb = new LeastOutstanding();
    lb.onStart("a:1");
    lb.onStart("a:1");
    lb.onStart("b:1");
    assertThat(lb.pick(THREE).address()).isEqualTo("c:1");
    lb.onStart("c:1");
    lb.onStart("c:1");
    assertThat(lb.pick(THREE).address()).isEqualTo("b:1");
    lb.onFinish("a:1");
    lb.onFinish("a:1");
    assertThat(lb.pick(THREE).address()).isEqualTo("a:1");
    // Idle nodes share the load in turn.
    LeastOutstanding idle = new LeastOutstanding();
    assertThat(picks(idle, THREE, 300)).containsEntry("a:1", 100).containsEntry("b:1", 100)
        .containsEntry("c:1", 100);
  }

  @Test
  void randomIsUniformAndReplaysFromItsSeed() {
    Map<String, Integer> counts = picks(new RandomChoice(11), THREE, 3000);
    counts.values().forEach(c -> assertThat(c).isBetween(900, 1100));
    assertThat(picks(new RandomChoice(11), THREE, 50)).isEqualTo(picks(new RandomChoice(11), THREE, 50));
  }

  @Test
  void policiesParseFromTheirCommandLineNames() {
    assertThat(LoadBalancingPolicy.parse("weighted-round-robin")).isEqualTo(LoadBalancingPolicy.WEIGHTED_ROUND_ROBIN);
    assertThat(LoadBalancingPolicy.parse("LEAST_OUTSTANDING")).isEqualTo(LoadBalancingPolicy.LEAST_OUTSTANDING);
    assertThatThrownBy(() -> LoadBalancingPolicy.parse("fastest")).hasMessageContaining("round-robin");
  }

  // ---- through the client, counting requests per node -----------------------------------------------------

  private static Map<Long, Integer> staleReadsPerNode(FakeCluster cluster, LoadBalancingPolicy policy, int n)
      throws Exception {
    try (KvClient client = KvClient.builder().seeds(cluster.seeds()).loadBalancer(
        policy == LoadBalancingPolicy.RANDOM ? new RandomChoice(3) : policy.newBalancer())
        .deadline(Duration.ofSeconds(10)).build()) {
      ByteString key = ByteString.copyFromUtf8("hot");
      client.blocking().put(key, ByteString.copyFromUtf8("v"));
      cluster.resetCounts();
      // A steady stream with at most 8 requests in flight: a new one starts as soon as one finishes.
      Semaphore window = new Semaphore(8);
      List<CompletableFuture<?>> calls = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        window.acquire();
        calls.add(client.get(key, Consistency.CONSISTENCY_STALE).whenComplete((r, e) -> window.release()));
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
      Map<Long, Integer> perNode = new HashMap<>();
      for (long id = 1; id <= cluster.size; id++) {
        perNode.put(id, cluster.count(id, "Get"));
      }
      return perNode;
    }
  }

  @Test
  void staleReadsSpreadOverReplicasByEachPolicy() throws Exception {
    // Weights 1, 2, 3 in the nodes' config; 3 nodes, so every shard has all 3 as replicas.
    try (FakeCluster cluster = new FakeCluster(3, 2, new int[] {1, 2, 3})) {
      Map<Long, Integer> rr = staleReadsPerNode(cluster, LoadBalancingPolicy.ROUND_ROBIN, 300);
      assertThat(rr.values()).containsOnly(100);

      Map<Long, Integer> wrr = staleReadsPerNode(cluster, LoadBalancingPolicy.WEIGHTED_ROUND_ROBIN, 300);
      assertThat(wrr).containsEntry(1L, 50).containsEntry(2L, 100).containsEntry(3L, 150);

      Map<Long, Integer> random = staleReadsPerNode(cluster, LoadBalancingPolicy.RANDOM, 300);
      assertThat(random.values()).allMatch(c -> c > 60 && c < 140);
      assertThat(random.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(300);

      // Node 3 answers 20 ms late: its requests stay in flight, so "least outstanding" sends it few.
      cluster.delay(3, 20);
      Map<Long, Integer> least = staleReadsPerNode(cluster, LoadBalancingPolicy.LEAST_OUTSTANDING, 300);
      assertThat(least.get(3L)).isLessThan(300 / 6);
      assertThat(least.get(1L) + least.get(2L)).isGreaterThan(300 * 5 / 6);
      // Round robin, blind to load, keeps sending node 3 its third.
      Map<Long, Integer> blind = staleReadsPerNode(cluster, LoadBalancingPolicy.ROUND_ROBIN, 300);
      assertThat(blind.get(3L)).isEqualTo(100);
    }
  }
}
