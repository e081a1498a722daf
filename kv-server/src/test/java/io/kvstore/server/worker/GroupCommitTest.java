package io.kvstore.server.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.NodeReplicas;
import io.kvstore.server.replica.ReplicaOptions;
import io.kvstore.storage.StorageOptions;
import io.kvstore.storage.StoreStats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit: a node hosting 64 shards that all take writes at once does one fsync per worker round,
 * not one per shard. One node with 64 single-replica shards (so every shard leads here and every write
 * is this node's own fsync), real RocksDB, counting synced writes through the store's stats.
 */
class GroupCommitTest {
  @TempDir
  Path dir;

  @Test
  void sixtyFourActiveShardsShareOneFsyncPerRound() throws Exception {
    int shards = 64;
    ReplicaOptions options = ReplicaOptions.defaults().withTick(Duration.ofMillis(20))
        .withStorage(StorageOptions.small());
    try (SingleReplicaNode single = new SingleReplicaNode(dir, shards, options)) {
      NodeReplicas node = single.node();
      int rounds = 20;
      StoreStats before = node.storeStats();
      for (int r = 0; r < rounds; r++) {
        List<CompletableFuture<CommandResult>> writes = new ArrayList<>();
        for (int s = 1; s <= shards; s++) {
          writes.add(node.propose(s, new Command.Put(PutRequest.newBuilder()
              .setKey(ByteString.copyFromUtf8("key-" + r)).setValue(ByteString.copyFromUtf8("v")).build())));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
      }
      StoreStats after = node.storeStats();
      long syncs = after.syncedWrites() - before.syncedWrites();
      long entries = after.entriesAppended() - before.entriesAppended();
      System.out.printf("group commit: %d shards x %d rounds = %d writes, %d entries appended, %d fsyncs"
          + " (%.1f entries per fsync)%n", shards, rounds, shards * rounds, entries, syncs, (double) entries / syncs);
      assertThat(entries).isGreaterThanOrEqualTo((long) shards * rounds);
      // One fsync per shard per write would be shards * rounds; group commit needs about one per round.
      assertThat(syncs).isLessThan((long) shards * rounds / 8);
      // What a write costs in records (each a memtable insert): its log entry, its value and the shard's
      // applied index. No hard state: term and vote did not change, and the commit index is not stored.
      long records = after.recordsWritten() - before.recordsWritten();
      double perWrite = (double) records / (shards * rounds);
      System.out.printf("records written: %d (%.2f per write)%n", records, perWrite);
      assertThat(perWrite).isLessThanOrEqualTo(3.2);
    }
  }
}
