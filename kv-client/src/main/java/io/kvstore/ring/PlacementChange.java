package io.kvstore.ring;

import java.util.List;

/**
 * How the replica set of one shard differs between two placements (see {@link ReplicaPlacement#diff}).
 * Immutable.
 *
 * @param shardId the shard
 * @param added nodes that hold a replica after but not before, ascending
 * @param removed nodes that held a replica before but not after, ascending
 */
public record PlacementChange(long shardId, List<Long> added, List<Long> removed) {

    public PlacementChange {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
    }

    @Override
    public String toString() {
        return "shard " + shardId + ": +" + added + " -" + removed;
    }
}
