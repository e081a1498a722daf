package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.BindableService;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.ShardStatus;
import io.kvstore.server.Node;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.LeaderHint;
import io.kvstore.server.replica.NotLeaderException;
import io.kvstore.server.replica.ReadView;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.replica.ShardUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * An in-memory stand-in for the replicas, for testing what the services do on their own: validation,
 * status mapping, forwarding, merging. No Raft: a shard "led" here applies a write at once. Put, Delete
 * and BatchPut only (CompareAndSwap and Txn semantics are the state machine's, tested against the real
 * replicas in e2e). The end-to-end tests use the real replicas.
 */
final class FakeReplicas implements ShardReplicas, Node.ReplicaHost {
  private final long selfId;
  private final List<Long> localShards;
  private final Map<Long, TreeMap<ByteString, KeyValue>> data = new ConcurrentHashMap<>();
  private final Map<Long, Long> lastIndex = new ConcurrentHashMap<>();
  /** Who leads a shard, as this node believes (0: unknown). */
  volatile LongFunction<Long> leaderOf;
  /** When set, every propose fails (or hangs) with what it supplies. */
  volatile Supplier<CompletableFuture<CommandResult>> proposeOverride;
  final AtomicInteger proposals = new AtomicInteger();

  FakeReplicas(long selfId, List<Long> localShards, LongFunction<Long> leaderOf) {
    this.selfId = selfId;
    this.localShards = List.copyOf(localShards);
    this.leaderOf = leaderOf;
  }

  @Override
  public synchronized CompletableFuture<CommandResult> propose(long shardId, Command command) {
    proposals.incrementAndGet();
    if (!localShards.contains(shardId)) {
      return CompletableFuture.failedFuture(new ShardUnavailableException("no replica of shard " + shardId));
    }
    if (leaderOf.apply(shardId) != selfId) {
      return CompletableFuture.failedFuture(new NotLeaderException(shardId, leaderHint(shardId)));
    }
    Supplier<CompletableFuture<CommandResult>> override = proposeOverride;
    if (override != null) {
      return override.get();
    }
    TreeMap<ByteString, KeyValue> shard = data.computeIfAbsent(shardId, s -> new TreeMap<>(
        ByteString.unsignedLexicographicalComparator()));
    long index = lastIndex.merge(shardId, 1L, Long::sum);
    CommandResult result;
    if (command instanceof Command.Put put) {
      shard.put(put.request().getKey(), kv(put.request().getKey(), put.request().getValue(), index));
      result = new CommandResult.Put(PutResponse.newBuilder().setVersion(index).build());
    } else if (command instanceof Command.Delete delete) {
      boolean deleted = shard.remove(delete.request().getKey()) != null;
      result = new CommandResult.Delete(
          DeleteResponse.newBuilder().setDeleted(deleted).setVersion(index).build());
    } else if (command instanceof Command.BatchPut batch) {
      BatchPutResponse.Builder b = BatchPutResponse.newBuilder();
      for (KeyValue kv : batch.request().getKvsList()) {
        shard.put(kv.getKey(), kv(kv.getKey(), kv.getValue(), index));
        b.addVersions(index);
      }
      result = new CommandResult.BatchPut(b.build());
    } else {
      return CompletableFuture.failedFuture(
          new UnsupportedOperationException("the fake replicas do not apply " + command));
    }
    return CompletableFuture.completedFuture(result);
  }

  private static KeyValue kv(ByteString key, ByteString value, long index) {
    return KeyValue.newBuilder().setKey(key).setValue(value).setVersion(index).setCreateVersion(index)
        .build();
  }

  @Override
  public CompletableFuture<ReadView> read(long shardId, Consistency consistency) {
    if (!localShards.contains(shardId)) {
      return CompletableFuture.failedFuture(new ShardUnavailableException("no replica of shard " + shardId));
    }
    if (consistency != Consistency.CONSISTENCY_STALE && leaderOf.apply(shardId) != selfId) {
      return CompletableFuture.failedFuture(new NotLeaderException(shardId, leaderHint(shardId)));
    }
    TreeMap<ByteString, KeyValue> snapshot;
    synchronized (this) {
      snapshot = new TreeMap<>(data.computeIfAbsent(shardId, s -> new TreeMap<>(
          ByteString.unsignedLexicographicalComparator())));
    }
    return CompletableFuture.completedFuture(new ReadView() {
      @Override
      public long appliedIndex() {
        return lastIndex.getOrDefault(shardId, 0L);
      }

      @Override
      public long term() {
        return 1;
      }

      @Override
      public Optional<KeyValue> get(byte[] key) {
        return Optional.ofNullable(snapshot.get(ByteString.copyFrom(key)));
      }

      @Override
      public List<KeyValue> scan(byte[] start, byte[] end, int limit, boolean keysOnly) {
        var range = end == null
            ? snapshot.tailMap(ByteString.copyFrom(start), true)
            : snapshot.subMap(ByteString.copyFrom(start), true, ByteString.copyFrom(end), false);
        List<KeyValue> out = new ArrayList<>();
        for (KeyValue kv : range.values()) {
          if (out.size() == limit) {
            break;
          }
          out.add(keysOnly ? kv.toBuilder().clearValue().build() : kv);
        }
        return out;
      }
    });
  }

  /** Keys stored in all shards of this fake. */
  int size() {
    return data.values().stream().mapToInt(Map::size).sum();
  }

  @Override
  public List<Long> localShards() {
    return localShards;
  }

  @Override
  public Optional<ShardStatus> status(long shardId) {
    return localShards.contains(shardId)
        ? Optional.of(ShardStatus.newBuilder().setShardId(shardId).setLeaderNodeId(leaderOf.apply(shardId))
            .setTerm(1).build())
        : Optional.empty();
  }

  @Override
  public LeaderHint leaderHint(long shardId) {
    long leader = leaderOf.apply(shardId);
    return leader == 0 ? LeaderHint.UNKNOWN : new LeaderHint(leader, 1);
  }

  @Override
  public ShardReplicas replicas() {
    return this;
  }

  @Override
  public List<BindableService> services() {
    return List.of();
  }

  @Override
  public void transferLeadershipsAway(Duration timeout) {}

  @Override
  public void close() {}
}
