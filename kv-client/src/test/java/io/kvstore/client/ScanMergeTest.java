package io.kvstore.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.ring.RoutingTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The per-shard split of batches and scans, and the merge back into request and key order. */
class ScanMergeTest {
  private static final java.util.Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();

  static RoutingTable table(int shards) {
    return RoutingTable.bootstrap("c", List.of(Node.newBuilder().setId(1).setAddress("h:1").build()), shards, 1,
        Limits.getDefaultInstance());
  }

  @ParameterizedTest(name = "seed {0}, {1} shards, page {2}, max {3}")
  @CsvSource({"1, 1, 1, 0", "2, 4, 3, 0", "3, 8, 10, 0", "4, 8, 1000, 0", "5, 16, 2, 25", "6, 3, 7, 1",
      "7, 8, 5, 400"})
  void mergesShardsInKeyOrder(long seed, int shards, int pageSize, int maxKeys) {
    SplittableRandom random = new SplittableRandom(seed);
    RoutingTable table = table(shards);
    Map<Long, TreeMap<ByteString, KeyValue>> byShard = new ConcurrentHashMap<>();
    TreeMap<ByteString, KeyValue> all = new TreeMap<>(ORDER);
    for (int i = 0; i < 300; i++) {
      byte[] k = new byte[1 + random.nextInt(6)];
      random.nextBytes(k);
      ByteString key = ByteString.copyFrom(k);
      KeyValue kv = KeyValue.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("v" + i)).build();
      all.put(key, kv);
      byShard.computeIfAbsent(table.shardForKey(key).getId(), s -> new TreeMap<>(ORDER)).put(key, kv);
    }
    List<Long> ids = table.shards().stream().map(s -> s.getId()).toList();
    ScanMerge.ShardReader reader = (shardId, start, limit) -> {
      List<KeyValue> page = new ArrayList<>();
      for (KeyValue kv : byShard.getOrDefault(shardId, new TreeMap<>(ORDER)).tailMap(start, true).values()) {
        if (page.size() == limit) {
          break;
        }
        page.add(kv);
      }
      // Answer on another thread now and then, as gRPC does.
      return random.nextBoolean() ? CompletableFuture.completedFuture(new ScanMerge.Page(page, page.size() == limit))
          : CompletableFuture.supplyAsync(() -> new ScanMerge.Page(page, page.size() == limit));
    };
    List<KeyValue> merged = ScanMerge.run(ids, ByteString.EMPTY, maxKeys, pageSize, reader).join();
    List<ByteString> expected = all.keySet().stream().limit(maxKeys == 0 ? Long.MAX_VALUE : maxKeys).toList();
    assertThat(merged.stream().map(KeyValue::getKey).toList()).containsExactlyElementsOf(expected);
  }

  @Test
  void prefixEndIsTheFirstKeyAfterThePrefix() {
    assertThat(ScanMerge.prefixEnd(ByteString.copyFromUtf8("ab"))).isEqualTo(ByteString.copyFromUtf8("ac"));
    assertThat(ScanMerge.prefixEnd(ByteString.copyFrom(new byte[] {1, (byte) 0xFF})))
        .isEqualTo(ByteString.copyFrom(new byte[] {2}));
    assertThat(ScanMerge.prefixEnd(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFF}))).isEmpty();
    assertThat(ScanMerge.prefixEnd(ByteString.EMPTY)).isEmpty();
  }

  @Test
  void batchesSplitByTheRingAndScatterBackInRequestOrder() {
    RoutingTable table = table(8);
    List<ByteString> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add(ByteString.copyFromUtf8("k" + i));
    }
    keys.add(ByteString.copyFromUtf8("k7")); // a duplicate is sent (and answered) once per occurrence
    Map<Long, List<Integer>> groups = ShardSplit.positionsByShard(table, keys, k -> k);
    assertThat(groups.values().stream().mapToInt(List::size).sum()).isEqualTo(keys.size());
    groups.forEach((shard, positions) -> {
      assertThat(positions).isSorted();
      positions.forEach(p -> assertThat(table.shardForKey(keys.get(p)).getId()).isEqualTo(shard));
    });
    Object[] results = new Object[keys.size()];
    groups.forEach((shard, positions) -> ShardSplit.scatter(
        positions.stream().map(p -> "answer-" + keys.get(p).toStringUtf8()).toList(), positions, results));
    for (int i = 0; i < keys.size(); i++) {
      assertThat(results[i]).isEqualTo("answer-" + keys.get(i).toStringUtf8());
    }
    assertThat(ShardSplit.positionsByShard(null, keys, k -> k)).containsOnlyKeys(0L);
  }
}
