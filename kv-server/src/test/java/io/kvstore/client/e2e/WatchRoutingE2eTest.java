package io.kvstore.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.ClusterView;
import io.kvstore.client.Coordination;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's routed watches on 4 nodes with 8 shards of 3 replicas (so not every node hosts every shard):
 * a key's watch and a hash-tagged prefix's watch open on the shard's leader; a hash-tagged prefix is served
 * by a node that hosts its shard even if that node lacks others; a prefix over every shard goes to a node
 * that hosts them all, or fails with FAILED_PRECONDITION when none does.
 */
class WatchRoutingE2eTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir static Path dir;
  static RealCluster cluster;
  static KvClient client;

  @BeforeAll
  static void start() {
    cluster = new RealCluster(dir, 4, 8);
    client = cluster.client().deadline(WAIT).build();
    client.clusterMap().join();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Collects a watch's events ("key=value") and the nodes that answered. */
  static final class Collector implements StreamObserver<WatchResponse> {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Set<Long> answeredBy = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    final CompletableFuture<Void> opened = new CompletableFuture<>();

    @Override
    public void onNext(WatchResponse r) {
      answeredBy.add(r.getHeader().getNodeId());
      r.getEventsList().forEach(e -> events.add(e.getKv().getKey().toStringUtf8() + "=" + e.getKv().getValue()
          .toStringUtf8()));
      opened.complete(null);
    }

    @Override
    public void onError(Throwable t) {
      error.complete(t);
      opened.complete(null);
    }

    @Override
    public void onCompleted() {
      error.complete(null);
    }
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static WatchRequest prefix(String p) {
    return WatchRequest.newBuilder().setPrefix(b(p)).setProgressIntervalMillis(100).build();
  }

  private static long leaderOf(String key) {
    long shard = client.cachedView().table().shardForKey(b(key)).getId();
    RealCluster.await(WAIT, "shard " + shard + " has a leader", () -> cluster.leaderOf(shard) != 0);
    return cluster.leaderOf(shard);
  }

  private static void put(String key, String value) {
    client.put(b(key), b(value)).join();
  }

  @Test
  void aKeyWatchAndATaggedPrefixWatchOpenOnTheShardsLeader() throws Exception {
    Coordination c = client.coordination();
    put("{wr}:warm", "0"); // the client learns the shard's leader
    Collector key = new Collector();
    Collector tagged = new Collector();
    Context.CancellableContext w1 = c.watch(WatchRequest.newBuilder().setKey(b("{wr}:a"))
        .setProgressIntervalMillis(100).build(), key);
    Context.CancellableContext w2 = c.watch(prefix("{wr}:"), tagged);
    try {
      key.opened.get(30, TimeUnit.SECONDS);
      tagged.opened.get(30, TimeUnit.SECONDS);
      put("{wr}:a", "1");
      put("{wr}:b", "2");
      put("{wr}:a", "3");
      RealCluster.await(WAIT, "the events arrived", () -> key.events.size() == 2 && tagged.events.size() == 3);
      assertThat(key.events).containsExactly("{wr}:a=1", "{wr}:a=3");
      assertThat(tagged.events).containsExactly("{wr}:a=1", "{wr}:b=2", "{wr}:a=3");
      long leader = leaderOf("{wr}:a");
      assertThat(key.answeredBy).containsOnly(leader);
      assertThat(tagged.answeredBy).as("one shard: served by its leader alone").containsOnly(leader);
      assertThat(key.error).isNotDone();
    } finally {
      w1.cancel(null);
      w2.cancel(null);
    }
  }

  @Test
  void aTaggedPrefixIsServedByANodeThatHostsItsShardButNotEveryShard() throws Exception {
    ClusterView view = client.cachedView();
    Shard shard = view.table().shardForKey(b("{wp}:"));
    Set<Long> hostsAll = hostsOfEveryShard(view);
    long partial = shard.getReplicasList().stream().map(r -> r.getNodeId()).filter(n -> !hostsAll.contains(n))
        .findFirst().orElseThrow(() -> new AssertionError("every replica of shard " + shard.getId()
            + " hosts every shard; the layout this test needs is gone"));
    Collector w = new Collector();
    Context.CancellableContext ctx = client.coordination().watch(cluster.address(partial), prefix("{wp}:"), w);
    try {
      w.opened.get(30, TimeUnit.SECONDS);
      assertThat(w.error).as("node %d hosts shard %d only among some", partial, shard.getId()).isNotDone();
      put("{wp}:x", "1");
      RealCluster.await(WAIT, "the event arrived", () -> w.events.size() == 1);
      assertThat(w.events).containsExactly("{wp}:x=1");
    } finally {
      ctx.cancel(null);
    }
  }

  @Test
  void anUntaggedPrefixGoesToANodeHostingEveryShardOrFailsClearly() throws Exception {
    Set<Long> hostsAll = hostsOfEveryShard(client.cachedView());
    Collector w = new Collector();
    Context.CancellableContext ctx = client.coordination().watch(prefix("wr-plain:"), w);
    try {
      w.opened.get(30, TimeUnit.SECONDS);
      if (hostsAll.isEmpty()) {
        Throwable e = w.error.get(30, TimeUnit.SECONDS);
        assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(e).hasMessageContaining("no node hosts every shard").hasMessageContaining("hash tag");
      } else {
        put("wr-plain:1", "1");
        RealCluster.await(WAIT, "the event arrived", () -> w.events.size() == 1);
        assertThat(w.answeredBy).containsOnly(java.util.Collections.min(hostsAll));
      }
    } finally {
      ctx.cancel(null);
    }
  }

  private static Set<Long> hostsOfEveryShard(ClusterView view) {
    Set<Long> all = null;
    for (Shard s : view.table().shards()) {
      Set<Long> hosts = new HashSet<>();
      s.getReplicasList().forEach(r -> hosts.add(r.getNodeId()));
      if (all == null) {
        all = hosts;
      } else {
        all.retainAll(hosts);
      }
    }
    return all == null ? Set.of() : all;
  }
}
