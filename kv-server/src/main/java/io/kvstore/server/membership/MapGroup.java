package io.kvstore.server.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.ShardReplicas;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where the cluster-map record lives: one key of the map group (Raft group {@link MapRecords#MAP_GROUP}),
 * a group like any shard (same log, storage, snapshots and state machine) whose only key holds the record.
 * A change is a compare-and-swap on that key's version, so two leaders (an old one that has not yet
 * learned it was deposed, and the new one) can never both apply a change computed from the same record.
 *
 * <p>Futures complete on the replicas' callback pool; nothing here blocks.
 */
public final class MapGroup {
  static final byte[] KEY = "cluster-map".getBytes(StandardCharsets.UTF_8);

  /** The record and the version of the key that holds it (the log index that last wrote it). */
  public record Versioned(ClusterMap record, long version) {}

  private MapGroup() {}

  /**
   * The record as this node's replica of the map group sees it: LINEARIZABLE on the leader before a
   * change, STALE to follow changes. Empty while the record was never written.
   */
  public static CompletableFuture<Optional<Versioned>> read(ShardReplicas replicas, Consistency consistency) {
    return replicas.read(MapRecords.MAP_GROUP, consistency).thenApply(view -> view.get(KEY).map(MapGroup::decode));
  }

  /**
   * Like {@link #read}, but empty also when the record is still at {@code knownVersion}: the record of a
   * large cluster is big, and followers look every fraction of a second.
   */
  public static CompletableFuture<Optional<Versioned>> readIfChanged(ShardReplicas replicas, Consistency consistency,
      long knownVersion) {
    return replicas.read(MapRecords.MAP_GROUP, consistency)
        .thenApply(view -> view.get(KEY).filter(kv -> kv.getVersion() != knownVersion).map(MapGroup::decode));
  }

  private static Versioned decode(KeyValue kv) {
    try {
      return new Versioned(ClusterMap.parseFrom(kv.getValue()), kv.getVersion());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the cluster-map record in group 0 is corrupt: " + e.getMessage(), e);
    }
  }

  /**
   * Replaces the record if its key still has {@code expectedVersion} (0: create it), through the map
   * group's leader on this node. Completes with the new version, or -1 when the record changed meanwhile
   * (read again and recompute); exceptionally with the replicas' errors (not leader, unknown result).
   */
  public static CompletableFuture<Long> compareAndSet(ShardReplicas replicas, long expectedVersion, ClusterMap next) {
    CompareAndSwapRequest cas = CompareAndSwapRequest.newBuilder()
        .setKey(ByteString.copyFrom(KEY))
        .setExpectedVersion(expectedVersion)
        .setNewValue(next.toByteString())
        .build();
    return replicas.propose(MapRecords.MAP_GROUP, new Command.CompareAndSwap(cas)).thenApply(result -> {
      var r = ((CommandResult.CompareAndSwap) result).response();
      return r.getSucceeded() ? r.getVersion() : -1L;
    });
  }
}
