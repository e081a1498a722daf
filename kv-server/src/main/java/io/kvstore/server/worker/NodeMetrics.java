package io.kvstore.server.worker;

import io.kvstore.server.cache.HotValueCache;
import io.kvstore.server.transport.TransportStats;
import io.kvstore.storage.NodeStore;
import io.kvstore.storage.StoreException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Collection;
import java.util.function.Supplier;
import java.util.function.LongSupplier;

/**
 * The replicas' Prometheus metrics (prometheus-metrics 1.x), registered in the node's registry: Raft
 * (term per shard, leaders held, proposals by outcome, commit and apply latency, log size, snapshots),
 * storage (entries and groups per synced batch, sync latency, write counts), the hot-value cache (hits,
 * misses, hit ratio) and the transport (batches and messages sent, received and dropped).
 *
 * <p>Thread-safe: histograms and counters are updated from the worker threads; callbacks read volatile
 * per-group state when {@code /metrics} is scraped.
 */
public final class NodeMetrics {
  private static final double[] LATENCY_BUCKETS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

  final Counter proposals;
  final Histogram commitLatency;
  final Histogram applyLatency;
  final Histogram syncLatency;
  final Histogram batchEntries;
  final Histogram batchGroups;
  final Counter snapshotsSent;
  final Counter snapshotBytesSent;
  final Counter snapshotsInstalled;
  final Counter compactions;
  final Counter readsServed;

  /**
   * Registers every metric in {@code registry} (a private one when null).
   *
   * @param groups the groups of the node, read on scrape
   */
  public NodeMetrics(PrometheusRegistry registry, Supplier<Collection<GroupReplica>> groups, NodeStore store,
      HotValueCache cache, TransportStats transport) {
    PrometheusRegistry r = registry == null ? new PrometheusRegistry() : registry;
    proposals = Counter.builder().name("kvstore_raft_proposals")
        .help("Write proposals by outcome (ok, not_leader, queue_full, result_unknown, refused, unavailable)")
        .labelNames("outcome").register(r);
    commitLatency = Histogram.builder().name("kvstore_raft_commit_latency_seconds")
        .help("From a write's proposal to its entry being committed and applied on the leader")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(r);
    applyLatency = Histogram.builder().name("kvstore_raft_apply_latency_seconds")
        .help("Applying one round's committed entries (state machine and the apply batch write)")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(r);
    syncLatency = Histogram.builder().name("kvstore_storage_sync_latency_seconds")
        .help("Writing one round's synced batch (log entries and hard states of all groups, one fsync)")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(r);
    batchEntries = Histogram.builder().name("kvstore_storage_batch_entries")
        .help("Log entries in one round's synced batch")
        .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096).register(r);
    batchGroups = Histogram.builder().name("kvstore_storage_batch_groups")
        .help("Raft groups in one round's synced batch (group commit: one fsync for all of them)")
        .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024).register(r);
    snapshotsSent = Counter.builder().name("kvstore_raft_snapshot_chunks_sent")
        .help("Snapshot chunks sent to lagging followers").register(r);
    snapshotBytesSent = Counter.builder().name("kvstore_raft_snapshot_bytes_sent")
        .help("Bytes of shard data sent in snapshot chunks (replica moves, lagging followers)").register(r);
    snapshotsInstalled = Counter.builder().name("kvstore_raft_snapshots_installed")
        .help("Snapshots received from a leader and installed").register(r);
    compactions = Counter.builder().name("kvstore_raft_log_compactions")
        .help("Log compactions (a snapshot of the shard is pinned only when a follower needs one)").register(r);
    readsServed = Counter.builder().name("kvstore_reads")
        .help("Reads served by consistency").labelNames("consistency").register(r);

    GaugeWithCallback.builder().name("kvstore_raft_term").help("Current Raft term of each local replica")
        .labelNames("shard")
        .callback(cb -> groups.get().forEach(g -> cb.call(g.term(), Long.toString(g.shardId()))))
        .register(r);
    GaugeWithCallback.builder().name("kvstore_raft_leaders_held").help("Shards this node leads")
        .callback(cb -> cb.call(groups.get().stream().filter(GroupReplica::isLeader).count()))
        .register(r);
    GaugeWithCallback.builder().name("kvstore_raft_groups").help("Shard replicas (Raft groups) this node hosts")
        .callback(cb -> cb.call(groups.get().size()))
        .register(r);
    GaugeWithCallback.builder().name("kvstore_raft_groups_quiet")
        .help("Local replicas whose group is idle and quiet (no heartbeats; see ShardStatus.quiet)")
        .callback(cb -> cb.call(groups.get().stream().filter(g -> g.status().getQuiet()).count()))
        .register(r);
    GaugeWithCallback.builder().name("kvstore_raft_log_entries")
        .help("Entries kept in the Raft logs of all local replicas (since their last compaction)")
        .callback(cb -> cb.call(groups.get().stream().mapToLong(GroupReplica::logEntries).sum()))
        .register(r);
    GaugeWithCallback.builder().name("kvstore_storage_open_snapshots")
        .help("RocksDB snapshots open (shard snapshots pinned for followers, reads in progress); each keeps"
            + " later versions alive through compactions")
        .callback(cb -> {
          try {
            cb.call(store.openRocksSnapshots());
          } catch (StoreException closed) {
            // The node is stopping: no value.
          }
        })
        .register(r);
    counter(r, "kvstore_storage_synced_writes", "Synced (fsync) batch writes", () -> store.stats().syncedWrites());
    counter(r, "kvstore_storage_unsynced_writes", "Unsynced batch writes (applies)",
        () -> store.stats().unsyncedWrites());
    counter(r, "kvstore_storage_records_written", "Records (RocksDB memtable inserts) in the batches written",
        () -> store.stats().recordsWritten());
    counter(r, "kvstore_cache_hits", "Hot-value cache hits", cache::hits);
    counter(r, "kvstore_cache_misses", "Hot-value cache misses", cache::misses);
    GaugeWithCallback.builder().name("kvstore_cache_hit_ratio").help("Hot-value cache hits over lookups since start")
        .callback(cb -> cb.call(cache.hitRatio())).register(r);
    counter(r, "kvstore_transport_messages_sent", "Raft messages sent to peers", transport::messagesSent);
    counter(r, "kvstore_transport_messages_send_dropped",
        "Raft messages dropped before sending (peer down, stream not ready)",
        transport::messagesSendDropped);
    counter(r, "kvstore_transport_messages_received", "Raft messages received", transport::messagesReceived);
    counter(r, "kvstore_transport_messages_receive_dropped",
        "Raft messages dropped on arrival (unknown group, full inbox)",
        transport::messagesReceiveDropped);
    counter(r, "kvstore_transport_heartbeats_sent",
        "Node-level heartbeats sent (one empty batch per peer node and tick, for quiet groups)",
        transport::heartbeatsSent);
    counter(r, "kvstore_transport_peers_reported_silent",
        "Peers heard from for none of half an election timeout; their quiet followers were woken",
        transport::peersReportedSilent);
    counter(r, "kvstore_transport_peers_reported_down",
        "Peers whose stream broke and whose port then refused connections (process gone)",
        transport::peersReportedDown);
    counter(r, "kvstore_transport_streams_refused", "Inbound Raft streams refused (wrong cluster id or node id)",
        transport::streamsRefused);
  }

  /** A counter whose value {@code value} reads when scraped. */
  private static void counter(PrometheusRegistry r, String name, String help, LongSupplier value) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(r);
  }
}
