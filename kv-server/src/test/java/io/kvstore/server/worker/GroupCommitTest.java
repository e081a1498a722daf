package io.kvstore.server.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.MutableHandlerRegistry;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.RaftRole;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.NodeReplicas;
import io.kvstore.server.replica.ReplicaOptions;
import io.kvstore.storage.StorageOptions;
import io.kvstore.storage.StoreStats;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    MutableHandlerRegistry registry = new MutableHandlerRegistry();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .fallbackHandlerRegistry(registry).build().start();
    ClusterMap.Builder map = ClusterMap.newBuilder().setClusterId("c").setEpoch(1)
        .addNodes(Node.newBuilder().setId(1).setAddress("127.0.0.1:" + server.getPort()));
    for (int s = 1; s <= shards; s++) {
      map.addShards(Shard.newBuilder().setId(s).addReplicas(Replica.newBuilder().setNodeId(1)));
    }
    ReplicaOptions options = ReplicaOptions.defaults().withTick(Duration.ofMillis(20))
        .withStorage(StorageOptions.small());
    try (NodeReplicas node = NodeReplicas.start(1, "c", dir, map.build(), options, null)) {
      registry.addService(node.transportService());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (int s = 1; s <= shards; s++) {
        long id = s;
        while (node.status(id).get().getRole() != RaftRole.RAFT_ROLE_LEADER) {
          assertThat(System.nanoTime() - deadline).as("shard %d elects itself", id).isNegative();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
      }
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
    } finally {
      server.shutdownNow();
    }
  }
}
