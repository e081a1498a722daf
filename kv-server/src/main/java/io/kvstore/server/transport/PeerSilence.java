package io.kvstore.server.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-level failure detector that quiet Raft groups need: when this node last heard anything (a
 * {@code RaftBatch}, empty ones included) from each peer node, and which peers fell silent.
 *
 * <p>Quiet groups (see {@code Config.quiesce}) send no heartbeats, so a quiet follower cannot notice by
 * itself that its leader's node is paused or cut off. Instead every node sends one empty batch per peer
 * and tick ({@link RaftTransportClient#heartbeat}), and a peer silent for longer than the threshold is
 * reported once per silence: its quiet followers wake and hold an election if the leader stays silent
 * for a full election timeout, exactly as a group that never went quiet would. A wrong report (a slow
 * network) only wakes groups; it decides nothing, so no lease is at risk.
 *
 * <p>If this node's own checks were paused (a GC pause, SIGSTOP, a starved machine), every peer would look
 * silent at once: such a gap in {@link #silentPeers} calls restarts every peer's clock instead.
 *
 * <p>Thread-safe: {@link #heard} is called from transport threads, {@link #silentPeers} from one thread.
 */
public final class PeerSilence {
  private final long thresholdNanos;
  private final Map<Long, Long> lastHeard = new ConcurrentHashMap<>();
  private final Set<Long> reported = ConcurrentHashMap.newKeySet();
  private long lastCheck;

  /** @param thresholdNanos silence longer than this makes a peer silent */
  public PeerSilence(long thresholdNanos, long nowNanos) {
    this.thresholdNanos = thresholdNanos;
    this.lastCheck = nowNanos;
  }

  /** Something arrived from {@code peer}. */
  public void heard(long peer, long nowNanos) {
    lastHeard.put(peer, nowNanos);
    reported.remove(peer);
  }

  /**
   * The peers of {@code peers} that became silent since the last call: each is returned once per silence,
   * and a peer first seen here counts as heard from now. Call it about once a tick.
   */
  public List<Long> silentPeers(Iterable<Long> peers, long nowNanos) {
    boolean selfPaused = nowNanos - lastCheck > thresholdNanos;
    lastCheck = nowNanos;
    List<Long> silent = new ArrayList<>();
    for (long peer : peers) {
      Long heard = lastHeard.putIfAbsent(peer, nowNanos);
      if (heard == null) {
        continue;
      }
      if (selfPaused) {
        lastHeard.put(peer, nowNanos);
      } else if (nowNanos - heard > thresholdNanos && reported.add(peer)) {
        silent.add(peer);
      }
    }
    return silent;
  }
}
