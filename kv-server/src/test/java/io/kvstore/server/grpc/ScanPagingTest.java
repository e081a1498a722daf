package io.kvstore.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.server.grpc.CrossShardScan.ShardPage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The merge of per-shard pages: over random key sets spread on random shards, paging through with any
 * limit returns every key exactly once, in order, whatever the shards trim.
 */
class ScanPagingTest {
  private static final java.util.Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();

  /** Shards as sorted maps; each answers at most {@code limit} keys, or fewer when {@code trimTo} says so. */
  private static CrossShardScan.ShardReader reader(List<TreeMap<ByteString, KeyValue>> shards, int trimTo) {
    return (shardId, bounds) -> {
      TreeMap<ByteString, KeyValue> shard = shards.get((int) shardId - 1);
      var range = bounds.end().isEmpty()
          ? shard.tailMap(bounds.start(), true)
          : shard.subMap(bounds.start(), true, bounds.end(), false);
      List<KeyValue> out = new ArrayList<>();
      for (KeyValue kv : range.values()) {
        if (out.size() == bounds.limit()) {
          break;
        }
        out.add(kv);
      }
      if (trimTo > 0 && out.size() > trimTo) {
        return CompletableFuture.completedFuture(new ShardPage(List.copyOf(out.subList(0, trimTo)), true));
      }
      return CompletableFuture.completedFuture(new ShardPage(out, out.size() >= bounds.limit()));
    };
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void pagingReturnsEveryKeyOnceInOrder(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int shardCount = 1 + random.nextInt(8);
    List<TreeMap<ByteString, KeyValue>> shards = new ArrayList<>();
    for (int s = 0; s < shardCount; s++) {
      shards.add(new TreeMap<>(ORDER));
    }
    TreeMap<ByteString, KeyValue> all = new TreeMap<>(ORDER);
    int keys = random.nextInt(300);
    for (int i = 0; i < keys; i++) {
      byte[] key = new byte[1 + random.nextInt(4)];
      random.nextBytes(key);
      ByteString k = ByteString.copyFrom(key);
      KeyValue kv = KeyValue.newBuilder().setKey(k).setVersion(i + 1).build();
      if (all.putIfAbsent(k, kv) == null) {
        shards.get(random.nextInt(shardCount)).put(k, kv);
      }
    }
    int limit = 1 + random.nextInt(40);
    int trimTo = random.nextBoolean() ? 0 : 1 + random.nextInt(limit);
    List<Long> ids = new ArrayList<>();
    for (long s = 1; s <= shardCount; s++) {
      ids.add(s);
    }

    List<ByteString> seen = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    int pages = 0;
    do {
      ScanBounds bounds =
          ScanBounds.of(ScanRequest.newBuilder().setLimit(limit).setContinuationToken(token).build());
      CrossShardScan.Page page = CrossShardScan.page(ids, bounds, reader(shards, trimTo)).join();
      assertThat(page.kvs().size()).isLessThanOrEqualTo(limit);
      page.kvs().forEach(kv -> seen.add(kv.getKey()));
      token = page.continuationToken();
      assertThat(++pages).as("pages (seed %d)", seed).isLessThanOrEqualTo(keys + 2);
    } while (!token.isEmpty());
    assertThat(seen).as("seed %d, limit %d, trim %d", seed, limit, trimTo).containsExactlyElementsOf(all.keySet());
  }

  @Test
  void aPrefixEndsJustAfterItsLastPossibleKey() {
    assertThat(ScanBounds.prefixEnd(ByteString.copyFromUtf8("ab"))).isEqualTo(ByteString.copyFromUtf8("ac"));
    assertThat(ScanBounds.prefixEnd(ByteString.copyFrom(new byte[] {'a', (byte) 0xff})))
        .isEqualTo(ByteString.copyFromUtf8("b"));
    assertThat(ScanBounds.prefixEnd(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff}))).isEmpty();
    assertThat(ScanBounds.prefixEnd(ByteString.EMPTY)).isEmpty();
  }

  @Test
  void pagesStayUnderTheByteBudget() {
    List<TreeMap<ByteString, KeyValue>> shards = List.of(new TreeMap<>(ORDER), new TreeMap<>(ORDER));
    for (int i = 0; i < 10; i++) {
      ByteString k = ByteString.copyFromUtf8("big" + i);
      shards.get(i % 2).put(k, KeyValue.newBuilder().setKey(k).setValue(ByteString.copyFrom(new byte[1 << 20])).build());
    }
    ScanBounds bounds = ScanBounds.of(ScanRequest.newBuilder().setLimit(100).build());
    CrossShardScan.Page page = CrossShardScan.page(List.of(1L, 2L), bounds, reader(shards, 0)).join();
    assertThat(page.kvs().size()).isBetween(1, 3);
    assertThat(page.continuationToken()).isNotEmpty();
  }
}
