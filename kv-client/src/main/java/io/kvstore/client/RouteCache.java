package io.kvstore.client;

import io.kvstore.client.balance.Target;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.NodeState;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * What the client believes about where things are: the current {@link ClusterView}, the leader of each
 * shard (learned from NotLeader redirects and write responses, seeded from the map's hints), and which
 * nodes recently failed to answer.
 *
 * <p>Rules:
 * <ul>
 *   <li>A view replaces the current one only when its epoch is newer (same cluster id); leaders learned
 *       from answers survive a new view, and the new view's hints count only with a newer term.</li>
 *   <li>A leader learned for a newer term replaces the cached one; for the same term only an unknown
 *       (0) leader is replaced (Raft elects at most one leader per term, §5.2).</li>
 *   <li>A node that failed to connect or timed out is <em>suspect</em> for {@code suspectFor}: it is left
 *       out of candidate lists (unless every candidate is suspect) and is no longer anyone's cached leader.</li>
 * </ul>
 *
 * <p>Thread-safe and lock-free; never blocks. Reads see a consistent view; leader updates race benignly
 * (the later term wins).
 */
final class RouteCache {
  /** A shard's leader as far as the client knows: node 0 means unknown in {@code term}. */
  record Leader(long nodeId, long term, String address) {}

  private final AtomicReference<ClusterView> view = new AtomicReference<>();
  private final ConcurrentHashMap<Long, Leader> leaders = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> suspectUntil = new ConcurrentHashMap<>();
  private final LongSupplier nanoClock;
  private final long suspectNanos;

  RouteCache(LongSupplier nanoClock, Duration suspectFor) {
    this.nanoClock = nanoClock;
    this.suspectNanos = suspectFor.toNanos();
  }

  /** The current view, or null before the first map arrived. */
  ClusterView view() {
    return view.get();
  }

  /**
   * Installs {@code next} if it supersedes the current view; returns whether it did. The map's leader
   * hints are merged into the leader cache.
   */
  boolean install(ClusterView next) {
    while (true) {
      ClusterView current = view.get();
      if (!next.supersedes(current)) {
        return false;
      }
      if (view.compareAndSet(current, next)) {
        if (next.table() != null) {
          for (Shard s : next.table().shards()) {
            if (s.getLeaderNodeId() != 0) {
              learnLeader(s.getId(), s.getLeaderNodeId(), s.getLeaderTerm(), null);
            }
          }
        }
        return true;
      }
    }
  }

  /** Records that {@code nodeId} leads {@code shardId} in {@code term} (address optional). */
  void learnLeader(long shardId, long nodeId, long term, String address) {
    Leader learned = new Leader(nodeId, term, address == null || address.isEmpty() ? null : address);
    leaders.merge(shardId, learned, (old, neu) -> {
      if (neu.term() > old.term()) {
        return neu;
      }
      if (neu.term() == old.term() && old.nodeId() == 0 && neu.nodeId() != 0) {
        return neu;
      }
      if (neu.term() == old.term() && old.nodeId() == neu.nodeId() && old.address() == null) {
        return neu; // same leader, now with its address
      }
      return old;
    });
  }

  /** Forgets {@code nodeId} as the leader of {@code shardId} (it said it is not, or it did not answer). */
  void forgetLeader(long shardId, long nodeId) {
    leaders.computeIfPresent(shardId,
        (id, old) -> old.nodeId() == nodeId ? new Leader(0, old.term(), null) : old);
  }

  /** The cached leader of {@code shardId}: node 0 when unknown. */
  Leader leader(long shardId) {
    Leader l = leaders.get(shardId);
    return l == null ? new Leader(0, 0, null) : l;
  }

  /** {@code address} failed to connect or timed out: avoid it for a while and forget it as a leader. */
  void markSuspect(String address, long nodeId) {
    suspectUntil.put(address, nanoClock.getAsLong() + suspectNanos);
    if (nodeId != 0) {
      leaders.replaceAll((id, old) -> old.nodeId() == nodeId ? new Leader(0, old.term(), null) : old);
    }
  }

  /** {@code address} answered: it is reachable again. */
  void markAnswered(String address) {
    suspectUntil.remove(address);
  }

  boolean isSuspect(String address) {
    Long until = suspectUntil.get(address);
    if (until == null) {
      return false;
    }
    if (until - nanoClock.getAsLong() <= 0) {
      suspectUntil.remove(address, until);
      return false;
    }
    return true;
  }

  /** The target of the node with this id in the current view, or null if the view does not know it. */
  Target target(long nodeId) {
    ClusterView v = view.get();
    return v == null ? null : v.node(nodeId).map(RouteCache::targetOf).orElse(null);
  }

  static Target targetOf(Node n) {
    return new Target(n.getAddress(), n.getId(), n.getWeight() == 0 ? 1 : n.getWeight());
  }

  /**
   * The usable targets among the nodes of {@code shard}'s replicas (learners included only if
   * {@code learners}): not DOWN, not suspect. When that leaves nothing, every replica is returned, so a
   * call always has somewhere to go.
   */
  List<Target> replicaTargets(Shard shard, boolean learners) {
    ClusterView v = view.get();
    List<Node> nodes = new ArrayList<>();
    for (Replica r : shard.getReplicasList()) {
      if (!learners && r.getRole() == io.kvstore.proto.v1.ReplicaRole.REPLICA_ROLE_LEARNER) {
        continue;
      }
      v.node(r.getNodeId()).ifPresent(nodes::add);
    }
    if (nodes.isEmpty()) {
      return nodeTargets(v.nodes());
    }
    return nodeTargets(nodes);
  }

  /** The usable targets among all nodes of the view (see {@link #replicaTargets}). */
  List<Target> allTargets() {
    return nodeTargets(view.get().nodes());
  }

  private List<Target> nodeTargets(Collection<Node> nodes) {
    List<Target> healthy = new ArrayList<>();
    List<Target> all = new ArrayList<>();
    for (Node n : nodes) {
      Target t = targetOf(n);
      all.add(t);
      if (n.getState() != NodeState.NODE_STATE_DOWN && !isSuspect(t.address())) {
        healthy.add(t);
      }
    }
    return healthy.isEmpty() ? all : healthy;
  }
}
