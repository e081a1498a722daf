package io.kvstore.server.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.NodeReplicas;
import io.kvstore.server.replica.ReplicaOptions;
import io.kvstore.storage.StorageOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose many shards all take writes keeps its applied, uncompacted Raft log near its budget (half
 * a log memtable, {@link LogRetention}) by compacting each shard long before the per-shard threshold,
 * while a node under the budget waits for that threshold; the compactions ride in the rounds' synced
 * batches and survive a restart with every value intact. One real node, real RocksDB, single-replica
 * shards (so every entry is this node's to append, apply and compact).
 */
class EarlyCompactionTest {
  /** Far above what the test writes per shard: only the budget can make a shard compact. */
  private static final long SNAPSHOT_ENTRIES = 100_000;
  private static final int VALUE_BYTES = 2_048;
  private static final int WRITES_PER_SHARD = 150;

  @TempDir
  Path dir;

  private static ReplicaOptions options() {
    // StorageOptions.small(): 2 MiB memtables, so a budget of 1 MiB.
    return ReplicaOptions.defaults().withTick(Duration.ofMillis(20)).withSnapshotEntries(SNAPSHOT_ENTRIES)
        .withStorage(StorageOptions.small());
  }

  @Test
  void manyBusyShardsCompactEarlyAndKeepTheirLogNearTheBudget() throws Exception {
    int shards = 16; // 16 x 150 x 2 KiB: about 5 MiB applied, five times the budget
    long budget = LogRetention.forMemtable(StorageOptions.small().memtableBytes()).compactEarlyThreshold();
    try (SingleReplicaNode single = new SingleReplicaNode(dir.resolve("busy"), shards, options())) {
      writeEverywhere(single.node(), shards);
      long kept = 0;
      for (int s = 1; s <= shards; s++) {
        ShardStatus st = single.node().status(s).get();
        assertThat(st.getSnapshotIndex()).as("shard %d compacted before %d entries", s, SNAPSHOT_ENTRIES)
            .isGreaterThan(1);
        kept += st.getLastIndex() - st.getSnapshotIndex();
      }
      // Every shard may hold up to its share plus the entries of one round and the minimum of a
      // compaction; far less than what was written (2,400 entries).
      long entryBytes = VALUE_BYTES + 64;
      long bound = budget / entryBytes + (long) shards * 2 * LogRetention.MIN_ENTRIES;
      System.out.printf("early compaction: %d shards x %d writes of %d bytes; %d log entries kept (bound %d)%n",
          shards, WRITES_PER_SHARD, VALUE_BYTES, kept, bound);
      assertThat(kept).isLessThanOrEqualTo(bound).isLessThan((long) shards * WRITES_PER_SHARD / 2);

      long[] compactedTo = new long[shards + 1];
      for (int s = 1; s <= shards; s++) {
        compactedTo[s] = single.node().status(s).get().getSnapshotIndex();
      }
      single.stop();
      single.start();
      for (int s = 1; s <= shards; s++) {
        ShardStatus st = single.node().status(s).get();
        assertThat(st.getSnapshotIndex()).as("shard %d's compaction survived the restart", s)
            .isEqualTo(compactedTo[s]);
        Optional<KeyValue> last = read(single.node(), s, "key-" + (WRITES_PER_SHARD - 1) % 10);
        assertThat(last).as("shard %d's last value", s).isPresent();
        assertThat(last.get().getValue().toByteArray()).isEqualTo(value(s, WRITES_PER_SHARD - 1));
      }
    }
  }

  @Test
  void aNodeUnderItsBudgetWaitsForTheThreshold() throws Exception {
    int shards = 2; // 2 x 150 x 2 KiB: about 0.6 MiB, under the budget
    try (SingleReplicaNode single = new SingleReplicaNode(dir.resolve("quiet"), shards, options())) {
      writeEverywhere(single.node(), shards);
      for (int s = 1; s <= shards; s++) {
        ShardStatus st = single.node().status(s).get();
        assertThat(st.getSnapshotIndex()).as("shard %d did not compact", s).isLessThanOrEqualTo(1);
        assertThat(st.getLastIndex()).isGreaterThan(WRITES_PER_SHARD);
      }
    }
  }

  /** {@link #WRITES_PER_SHARD} writes to every shard, over ten keys each, all shards at once. */
  private static void writeEverywhere(NodeReplicas node, int shards) throws Exception {
    for (int i = 0; i < WRITES_PER_SHARD; i++) {
      List<CompletableFuture<CommandResult>> writes = new ArrayList<>();
      for (int s = 1; s <= shards; s++) {
        writes.add(node.propose(s, new Command.Put(PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("key-" + i % 10)).setValue(ByteString.copyFrom(value(s, i))).build())));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    }
  }

  private static byte[] value(int shard, int i) {
    byte[] v = new byte[VALUE_BYTES];
    Arrays.fill(v, (byte) ('a' + (shard + i) % 26));
    byte[] tag = (shard + "/" + i + "/").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(tag, 0, v, 0, tag.length);
    return v;
  }

  private static Optional<KeyValue> read(NodeReplicas node, long shard, String key) throws Exception {
    return node.read(shard, Consistency.CONSISTENCY_LINEARIZABLE).get(10, TimeUnit.SECONDS)
        .get(key.getBytes(StandardCharsets.UTF_8));
  }
}
