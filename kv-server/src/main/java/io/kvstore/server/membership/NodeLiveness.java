package io.kvstore.server.membership;

import io.grpc.Channel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.kvstore.proto.v1.Node;
import io.kvstore.server.grpc.PeerChannels;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * When this node last heard from each other node: a health check per node and probe, answered or not
 * within a second. Every node probes (cheap), so a node that becomes the map group's leader already knows
 * who has been silent. A node never heard from counts as heard from when this tracker first saw it in the
 * map, so neither a new leader nor a node that just joined is declared down at once.
 *
 * <p>Thread-safe; {@link #probe} returns at once (the checks are asynchronous; their answers are recorded
 * on {@code executor}, briefly).
 */
final class NodeLiveness {
  private static final long PROBE_DEADLINE_MS = 1_000;

  private final long selfId;
  private final PeerChannels channels;
  private final Executor executor;
  private final LongSupplier clock;
  private final long startedNanos;
  private final Map<Long, Long> lastSeen = new ConcurrentHashMap<>();
  private final Set<Long> probing = ConcurrentHashMap.newKeySet();

  NodeLiveness(long selfId, PeerChannels channels, Executor executor, LongSupplier nanoClock) {
    this.selfId = selfId;
    this.channels = channels;
    this.executor = executor;
    this.clock = nanoClock;
    this.startedNanos = nanoClock.getAsLong();
  }

  /** Asks every node of {@code nodes} (but this one) whether it answers; one check per node at a time. */
  void probe(Collection<Node> nodes) {
    for (Node n : nodes) {
      long id = n.getId();
      if (id == selfId) {
        continue;
      }
      // A node new to this tracker (e.g. one that just joined) counts as heard from when it appeared.
      lastSeen.putIfAbsent(id, clock.getAsLong());
      if (!probing.add(id)) {
        continue;
      }
      Channel ch = channels.channelTo(id);
      if (ch == null) {
        probing.remove(id);
        continue;
      }
      // Asynchronous: a silent node must not hold a thread for the probe's deadline.
      var answer = HealthGrpc.newFutureStub(ch).withDeadlineAfter(PROBE_DEADLINE_MS, TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      answer.addListener(() -> {
        try {
          answer.get();
          lastSeen.put(id, clock.getAsLong());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | RuntimeException silent) {
          // not heard from this time
        } finally {
          probing.remove(id);
        }
      }, executor);
    }
  }

  /** Whether {@code nodeId} has not answered for longer than {@code timeout} (never for this node). */
  boolean silentFor(long nodeId, Duration timeout) {
    if (nodeId == selfId) {
      return false;
    }
    long seen = lastSeen.getOrDefault(nodeId, startedNanos);
    return clock.getAsLong() - seen > timeout.toNanos();
  }
}
