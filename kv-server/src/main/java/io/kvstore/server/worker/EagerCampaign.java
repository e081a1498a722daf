package io.kvstore.server.worker;

import io.kvstore.raft.RawNode;
import io.kvstore.raft.Role;

/**
 * The preferred leader of a group created just now (the first replica the ring placed): for a number of
 * ticks, while no leader is known, it campaigns every other tick, well before any peer's election
 * timeout. A new cluster's shards then start led by their ring-chosen replicas, spread over the nodes by
 * weight, instead of by whichever node's timers fired first (one node of a fresh 1,000-shard cluster led
 * 761); leader balancing only has the rest to do. Pre-vote makes a campaign that cannot win harmless.
 * Used by the replica's loop thread (or before its worker starts).
 */
final class EagerCampaign {
  /** Ticks left in which to campaign while no leader is known; 0: off. */
  private int ticksLeft;

  void arm(int ticks) {
    ticksLeft = ticks;
  }

  /** After each tick of {@code raw}, whose last known leader and role are given. */
  void onTick(RawNode raw, long leaderId, Role role) {
    if (ticksLeft <= 0) {
      return;
    }
    if (leaderId != 0 || role == Role.LEADER) {
      ticksLeft = 0;
      return;
    }
    // Not while a real election of ours runs: starting over would only bump the term (a pre-vote
    // round, which is what a follower or pre-candidate starts, bumps nothing).
    if (ticksLeft-- % 2 == 0 && role != Role.CANDIDATE) {
      raw.campaign();
    }
  }
}
