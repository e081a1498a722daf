package io.kvstore.server.membership;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.IntSupplier;

/**
 * Replica-move metrics of the placement driver (exported by the map group's leader, which drives the
 * moves). The bytes a move sends are counted where they are sent, by each shard leader
 * ({@code kvstore_raft_snapshot_bytes_sent}).
 */
final class MoveMetrics {
  final Counter moves;
  final Histogram moveSeconds;
  final Counter leaderTransfers;

  MoveMetrics(PrometheusRegistry r, IntSupplier inFlight) {
    moves = Counter.builder().name("kvstore_membership_moves")
        .help("Replica moves by outcome: started, promoted (the new replica votes), finished")
        .labelNames("step").register(r);
    moveSeconds = Histogram.builder().name("kvstore_membership_move_seconds")
        .help("Time from recording a replica move to its end (the old replica removed)")
        .classicOnly().classicUpperBounds(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900).register(r);
    leaderTransfers = Counter.builder().name("kvstore_membership_leader_transfers")
        .help("Leadership transfers asked for to spread leaders by node weight").register(r);
    GaugeWithCallback.builder().name("kvstore_membership_moves_in_flight")
        .help("Replica moves recorded in the cluster map and not finished")
        .callback(cb -> cb.call(inFlight.getAsInt())).register(r);
  }
}
