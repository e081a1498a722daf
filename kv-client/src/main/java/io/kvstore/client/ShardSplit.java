package io.kvstore.client;

import com.google.protobuf.ByteString;
import io.kvstore.ring.RoutingTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Splits the items of a batch call per shard and puts the per-shard results back in request order. Pure
 * functions; the caller sends the groups in parallel.
 */
final class ShardSplit {
  private ShardSplit() {}

  /**
   * The positions of {@code items} grouped by the shard of each item's key, shards in ascending id order
   * and positions ascending within a shard. With no routing table (a map without shards) every item is in
   * one group under shard 0: the node that receives it routes it.
   */
  static <I> Map<Long, List<Integer>> positionsByShard(RoutingTable table, List<I> items,
      Function<I, ByteString> keyOf) {
    Map<Long, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < items.size(); i++) {
      long shardId = table == null ? 0 : table.shardForKey(keyOf.apply(items.get(i))).getId();
      groups.computeIfAbsent(shardId, s -> new ArrayList<>()).add(i);
    }
    return groups;
  }

  /** Writes {@code groupResults.get(j)} at {@code results[positions.get(j)]}. */
  static <R> void scatter(List<R> groupResults, List<Integer> positions, Object[] results) {
    for (int j = 0; j < positions.size(); j++) {
      results[positions.get(j)] = groupResults.get(j);
    }
  }
}
