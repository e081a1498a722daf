package io.kvstore.server.membership;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Move;
import io.kvstore.proto.v1.MoveStep;
import io.kvstore.proto.v1.Replica;
import io.kvstore.proto.v1.Shard;
import io.kvstore.server.grpc.PeerChannels;
import io.kvstore.server.proto.ChangeReplicasRequest;
import io.kvstore.server.proto.ChangeReplicasRequest.Action;
import io.kvstore.server.proto.NodeInternalGrpc;
import io.kvstore.server.proto.ShardMembership;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves replicas to where the ring says they belong. Runs on the map group's leader, one pass at a time on
 * the membership thread ({@link MembershipCoordinator}); every pass starts from the record in the map
 * group, so a pass cut short (a crash of any party, a lost leadership) is simply resumed by the next one,
 * on whichever node leads the map group then.
 *
 * <p>A move of shard S from node F to node T, each step recorded in the map before the next:
 * <ol>
 *   <li>recorded (step CATCHING_UP): T is in S's replicas as a LEARNER, which makes T create an empty
 *       replica; the driver asks S's leader to add T as a Raft learner, which streams it a snapshot then
 *       the log;</li>
 *   <li>once T's match index is within {@code catchUpLag} of the leader's commit, the leader promotes T
 *       to voter (single-voter change, Raft thesis §4.1); when that change is committed the map says
 *       PROMOTED and T is a VOTER;</li>
 *   <li>if F leads S, leadership moves to T (thesis §3.10); then F is removed from the group; when that
 *       change is committed the map drops F from S's replicas and the move ends. F's node sees the map no
 *       longer places S there and deletes S's data.</li>
 * </ol>
 * The Raft leader of S does each step only if it is not in effect yet, so repeating a step is harmless.
 *
 * <p>Not thread-safe: the membership thread only. Blocks on gRPC calls with short deadlines.
 */
final class PlacementDriver {
  private static final Logger log = LoggerFactory.getLogger(PlacementDriver.class);
  private static final long CALL_DEADLINE_MS = 3_000;

  private final long selfId;
  private final String clusterId;
  private final PeerChannels channels;
  private final MoveMetrics metrics;
  private final MembershipOptions options;
  /** The local map's leader hint of a shard (0: none). */
  private final LongUnaryOperator leaderHint;
  /** The node that last answered as a shard's leader. */
  private final Map<Long, Long> leaders = new ConcurrentHashMap<>();

  PlacementDriver(long selfId, String clusterId, PeerChannels channels, MoveMetrics metrics,
      MembershipOptions options, LongUnaryOperator leaderHint) {
    this.selfId = selfId;
    this.clusterId = clusterId;
    this.channels = channels;
    this.metrics = metrics;
    this.options = options;
    this.leaderHint = leaderHint;
  }

  /**
   * The record after advancing the move of one shard by at most one recorded step: the same object when
   * the step is not done yet (the caller then stores nothing).
   */
  ClusterMap advance(ClusterMap rec, Move move) {
    long shard = move.getShardId();
    long to = move.getToNodeId();
    long from = move.getFromNodeId();
    if (move.getStep() == MoveStep.MOVE_STEP_CATCHING_UP) {
      ShardMembership m = call(rec, shard, Action.ACTION_ADD_LEARNER, to);
      if (m == null) {
        return rec;
      }
      if (m.getVotersList().contains(to) && m.getConfCommitted()) {
        metrics.moves.labelValues("promoted").inc();
        return MembershipChanges.promoted(rec, shard);
      }
      long match = m.getMatchIndexOrDefault(to, 0);
      if (m.getLearnersList().contains(to) && m.getConfCommitted() && match > 0
          && match + options.catchUpLag() >= m.getCommitIndex()) {
        m = call(rec, shard, Action.ACTION_PROMOTE, to);
        if (m != null && m.getVotersList().contains(to) && m.getConfCommitted()) {
          metrics.moves.labelValues("promoted").inc();
          return MembershipChanges.promoted(rec, shard);
        }
      }
      return rec;
    }
    if (from == 0) {
      return finish(rec, move);
    }
    ShardMembership m = call(rec, shard, Action.ACTION_NONE, 0);
    if (m == null) {
      return rec;
    }
    if (!m.getVotersList().contains(to)) {
      call(rec, shard, Action.ACTION_PROMOTE, to);
      return rec;
    }
    if (m.getLeaderNodeId() == from) {
      // Leadership moves first, so the shard never waits out an election for a leader that left.
      call(rec, shard, Action.ACTION_TRANSFER_LEADER, to);
      return rec;
    }
    boolean gone = !m.getVotersList().contains(from) && !m.getLearnersList().contains(from);
    if (!gone) {
      m = call(rec, shard, Action.ACTION_REMOVE, from);
      if (m == null) {
        return rec;
      }
      gone = !m.getVotersList().contains(from) && !m.getLearnersList().contains(from);
    }
    return gone && m.getConfCommitted() ? finish(rec, move) : rec;
  }

  private ClusterMap finish(ClusterMap rec, Move move) {
    metrics.moves.labelValues("finished").inc();
    long took = System.currentTimeMillis() - move.getStartedAtMs();
    metrics.moveSeconds.observe(Math.max(0, took) / 1000.0);
    log.info("shard {}: replica moved from node {} to node {} in {} ms", move.getShardId(),
        move.getFromNodeId(), move.getToNodeId(), took);
    return MembershipChanges.finished(rec, move.getShardId());
  }

  /**
   * One ChangeReplicas call to the shard's leader, found by trying the last known leader, the hint, then
   * the shard's voters; null when none answered as leader (the next pass tries again).
   */
  private ShardMembership call(ClusterMap rec, long shard, Action action, long node) {
    Set<Long> candidates = new LinkedHashSet<>();
    Long known = leaders.get(shard);
    if (known != null) {
      candidates.add(known);
    }
    long hint = leaderHint.applyAsLong(shard);
    if (hint != 0) {
      candidates.add(hint);
    }
    if (shard == MapRecords.MAP_GROUP) {
      candidates.addAll(rec.getMapGroupNodesList());
    }
    for (Shard s : rec.getShardsList()) {
      if (s.getId() == shard) {
        for (Replica r : s.getReplicasList()) {
          candidates.add(r.getNodeId());
        }
      }
    }
    ChangeReplicasRequest request = ChangeReplicasRequest.newBuilder().setClusterId(clusterId)
        .setShardId(shard).setAction(action).setNodeId(node).build();
    List<String> failures = new ArrayList<>();
    for (long candidate : candidates) {
      Channel ch = channels.channelTo(candidate);
      if (ch == null) {
        continue;
      }
      try {
        ShardMembership m = NodeInternalGrpc.newBlockingStub(ch)
            .withDeadlineAfter(CALL_DEADLINE_MS, TimeUnit.MILLISECONDS)
            .changeReplicas(request);
        leaders.put(shard, candidate);
        if (!m.getDeferred().isEmpty()) {
          log.debug("shard {}: {} of node {} deferred: {}", shard, action, node, m.getDeferred());
        }
        return m;
      } catch (StatusRuntimeException e) {
        failures.add("node " + candidate + ": " + e.getStatus().getCode());
      }
    }
    leaders.remove(shard);
    log.debug("shard {}: no leader answered {} ({})", shard, action, failures);
    return null;
  }

  long selfId() {
    return selfId;
  }
}
