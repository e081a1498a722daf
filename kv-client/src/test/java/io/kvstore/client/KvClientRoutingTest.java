package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.KeyRange;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a {@link FakeCluster} of real gRPC servers: it routes each key to its shard's leader,
 * follows NotLeader redirects, refreshes on epoch changes and survives a node going down, all hidden from
 * the caller within the call's deadline.
 */
class KvClientRoutingTest {
  private FakeCluster cluster;
  private KvClient client;

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private KvClient start(int nodes, int shards) {
    cluster = new FakeCluster(nodes, shards);
    client = KvClient.builder().seeds(cluster.seeds()).deadline(Duration.ofSeconds(10))
        .attemptTimeout(Duration.ofSeconds(2)).jitterSeed(42).build();
    return client;
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void routesEachKeyStraightToItsShardLeader() {
    BlockingKvClient kv = start(3, 8).blocking();
    for (int i = 0; i < 50; i++) {
      kv.put(b("key-" + i), b("v" + i));
    }
    // Every Put reached the leader of its key's shard on the first try: no redirects.
    int atLeaders = 0;
    for (int id = 1; id <= 3; id++) {
      atLeaders += cluster.count(id, "Put");
    }
    assertThat(atLeaders).isEqualTo(50);
    for (int i = 0; i < 50; i++) {
      long shard = cluster.shardOf(b("key-" + i));
      assertThat(cluster.leaderOf(shard)).isPositive();
    }
    assertThat(kv.get(b("key-7")).getKv().getValue()).isEqualTo(b("v7"));
    assertThat(kv.get(b("missing")).getFound()).isFalse();
  }

  @Test
  void followsRedirectsWhenLeadersMoveAndCachesTheNewLeader() {
    BlockingKvClient kv = start(3, 4).blocking();
    ByteString key = b("moving");
    kv.put(key, b("1"));
    long shard = cluster.shardOf(key);
    long old = cluster.leaderOf(shard);
    long next = cluster.replicasOf(shard).stream().filter(n -> n != old).findFirst().orElseThrow();
    cluster.moveLeader(shard, next);
    cluster.resetCounts();

    assertThat(kv.put(key, b("2")).getVersion()).isPositive(); // redirected, invisibly
    assertThat(cluster.count(old, "Put")).isEqualTo(1);         // the stale guess
    assertThat(cluster.count(next, "Put")).isEqualTo(1);        // the redirect

    cluster.resetCounts();
    kv.put(key, b("3"));
    assertThat(cluster.count(old, "Put")).isZero();             // the cache now knows the new leader
    assertThat(cluster.count(next, "Put")).isEqualTo(1);
    assertThat(kv.get(key).getKv().getValue()).isEqualTo(b("3"));
  }

  @Test
  void waitsOutAnElectionWithinTheDeadline() throws Exception {
    BlockingKvClient kv = start(3, 2).blocking();
    ByteString key = b("elect");
    kv.put(key, b("1"));
    long shard = cluster.shardOf(key);
    long next = cluster.replicasOf(shard).get(1);
    cluster.moveLeader(shard, 0); // electing: every node answers NotLeader without a leader
    var write = client.put(key, b("2"));
    // Let a few attempts back off, then finish the election.
    while (cluster.countAll("Put") < 3) {
      Thread.onSpinWait();
    }
    cluster.moveLeader(shard, next);
    assertThat(write.get().getVersion()).isPositive();
    assertThat(kv.get(key).getKv().getValue()).isEqualTo(b("2"));
  }

  @Test
  void refreshesTheMapWhenAnAnswerCarriesANewerEpoch() {
    BlockingKvClient kv = start(3, 2).blocking();
    kv.put(b("a"), b("1"));
    assertThat(client.cachedView().epoch()).isEqualTo(1);
    cluster.bumpEpoch();
    kv.get(b("a"));
    // The refresh runs in the background after the answer; the next calls see the new epoch.
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (client.cachedView().epoch() != 2 && System.nanoTime() < deadline) {
      kv.get(b("a"));
    }
    assertThat(client.cachedView().epoch()).isEqualTo(2);
  }

  @Test
  void aStaleEpochRefusalFetchesTheMapAndRetries() {
    BlockingKvClient kv = start(3, 2).blocking();
    kv.put(b("a"), b("1"));
    cluster.strictEpoch = true;
    cluster.bumpEpoch();
    assertThat(kv.put(b("a"), b("2")).getVersion()).isPositive();
    assertThat(client.cachedView().epoch()).isEqualTo(2);
  }

  @Test
  void aDownNodeIsRoutedAroundWithinTheDeadline() {
    BlockingKvClient kv = start(3, 4).blocking();
    cluster.forwarding = true; // the survivors forward, as real nodes do
    ByteString key = b("survive");
    kv.put(key, b("1"));
    long shard = cluster.shardOf(key);
    long leader = cluster.leaderOf(shard);
    long next = cluster.replicasOf(shard).stream().filter(n -> n != leader).findFirst().orElseThrow();
    cluster.down(leader);
    cluster.moveLeader(shard, next);
    for (int i = 0; i < 20; i++) {
      assertThat(kv.put(key, b("v" + i)).getVersion()).isPositive();
    }
    assertThat(kv.get(key).getKv().getValue()).isEqualTo(b("v19"));
  }

  @Test
  void aRetriedWriteReusesItsSequenceNumberAndIsAppliedOnce() {
    BlockingKvClient kv = start(3, 2).blocking();
    kv.put(b("warm"), b("up"));
    int before = cluster.appliedWrites.get();
    cluster.writeIds.clear();
    cluster.loseWriteResponses.set(1); // applied, but the client sees UNAVAILABLE and retries
    kv.put(b("once"), b("1"));
    assertThat(cluster.appliedWrites.get() - before).isEqualTo(1);
    assertThat(cluster.writeIds).hasSize(2);
    assertThat(cluster.writeIds.get(0)).isEqualTo(cluster.writeIds.get(1))
        .startsWith(client.clientId() + "/");
    kv.put(b("twice"), b("2"));
    assertThat(cluster.writeIds.get(2)).isNotEqualTo(cluster.writeIds.get(0)); // a new write, a new number
  }

  @Test
  void unreachableSeedsFailWithUnavailableWithinTheDeadline() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    client = KvClient.builder().seeds("127.0.0.1:" + port).deadline(Duration.ofSeconds(1)).jitterSeed(1).build();
    assertThatThrownBy(() -> client.blocking().get(b("k")))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.anyNodeAnswered()).isFalse();
          assertThat(e.attempts()).isGreaterThan(1);
        });
  }

  @Test
  void aRefusedRequestIsNotRetried() {
    BlockingKvClient kv = start(3, 2).blocking();
    assertThatThrownBy(() -> kv.get(ByteString.EMPTY)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void batchCallsSplitPerShardAndAnswerInRequestOrder() {
    BlockingKvClient kv = start(3, 8).blocking();
    List<KeyValue> kvs = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      kvs.add(KeyValue.newBuilder().setKey(b("batch-" + i)).setValue(b("value-" + i)).build());
    }
    List<Long> versions = kv.batchPut(kvs);
    assertThat(versions).hasSize(100).allMatch(v -> v > 0);
    // One BatchPut per shard, each at its leader: no redirects.
    long shards = kvs.stream().map(e -> cluster.shardOf(e.getKey())).distinct().count();
    assertThat(cluster.countAll("BatchPut")).isEqualTo((int) shards);

    List<ByteString> keys = new ArrayList<>();
    for (int i = 99; i >= 0; i -= 3) {
      keys.add(b("batch-" + i));
    }
    keys.add(b("batch-none"));
    List<GetResponse> got = kv.batchGet(keys, Consistency.CONSISTENCY_LINEARIZABLE);
    for (int i = 0; i < keys.size() - 1; i++) {
      assertThat(got.get(i).getKv().getKey()).isEqualTo(keys.get(i));
      assertThat(got.get(i).getKv().getValue().toStringUtf8())
          .isEqualTo("value-" + keys.get(i).toStringUtf8().substring(6));
    }
    assertThat(got.get(keys.size() - 1).getFound()).isFalse();
  }

  @Test
  void scanIsSplitPerShardAndMergedInKeyOrder() {
    BlockingKvClient kv = start(3, 8).blocking();
    SplittableRandom random = new SplittableRandom(7);
    TreeMap<ByteString, ByteString> expected = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    List<KeyValue> kvs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      ByteString k = b((random.nextBoolean() ? "p/" : "q/") + Long.toHexString(random.nextLong()));
      expected.put(k, b("v" + i));
      kvs.add(KeyValue.newBuilder().setKey(k).setValue(b("v" + i)).build());
    }
    kv.batchPut(kvs);
    List<KeyValue> all = kv.scan(ScanRequest.newBuilder().setPrefix(b("p/")).setLimit(7).build(), 0);
    assertThat(all.stream().map(KeyValue::getKey).toList())
        .containsExactlyElementsOf(expected.subMap(b("p/"), b("p0")).keySet());
    assertThat(cluster.countAll("ScanShard")).isGreaterThan(8); // paged per shard
    assertThat(cluster.countAll("Scan")).isZero();

    List<KeyValue> first10 = kv.scan(ScanRequest.newBuilder()
        .setRange(KeyRange.newBuilder().setStart(b("q/")).build()).build(), 10);
    assertThat(first10.stream().map(KeyValue::getKey).toList())
        .containsExactlyElementsOf(expected.tailMap(b("q/")).keySet().stream().limit(10).toList());
  }

  @Test
  void scanFallsBackToTheNodesOwnScanWithoutPerShardReads() {
    BlockingKvClient kv = start(3, 4).blocking();
    for (int i = 0; i < 30; i++) {
      kv.put(b(String.format("s/%02d", i)), b("v"));
    }
    cluster.scanShardImplemented = false;
    List<KeyValue> all = kv.scan(ScanRequest.newBuilder().setPrefix(b("s/")).setLimit(4).build(), 0);
    assertThat(all).hasSize(30);
    assertThat(all.get(0).getKey()).isEqualTo(b("s/00"));
    assertThat(all.get(29).getKey()).isEqualTo(b("s/29"));
    assertThat(cluster.countAll("Scan")).isEqualTo(8); // pages of 4 with continuation tokens
  }

  @Test
  void oneChannelPerNodeIsReusedByEveryCall() {
    BlockingKvClient kv = start(3, 8).blocking();
    for (int i = 0; i < 100; i++) {
      kv.put(b("c" + i), b("v"));
      kv.get(b("c" + i), Consistency.CONSISTENCY_STALE);
    }
    assertThat(client.openChannels()).isEqualTo(3);
  }

  @Test
  void followerReadsSpreadLinearizableReadsOverTheVoters() {
    cluster = new FakeCluster(3, 2);
    cluster.forwarding = true; // a follower serves after asking the leader (here: the fake just serves)
    client = KvClient.builder().seeds(cluster.seeds()).followerReads(true).build();
    client.blocking().put(b("f"), b("v"));
    cluster.resetCounts();
    for (int i = 0; i < 30; i++) {
      assertThat(client.blocking().get(b("f")).getKv().getValue()).isEqualTo(b("v"));
    }
    for (long id = 1; id <= 3; id++) {
      assertThat(cluster.count(id, "Get")).isEqualTo(10);
    }
  }

  @Test
  void closeClosesTheChannels() {
    BlockingKvClient kv = start(3, 2).blocking();
    kv.put(b("a"), b("1"));
    client.close();
    assertThatThrownBy(() -> kv.get(b("a"))).isInstanceOf(RuntimeException.class);
    client = null;
  }
}
