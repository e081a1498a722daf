package io.kvstore.server.worker;

import io.kvstore.raft.RawNode;
import io.kvstore.raft.Status;
import io.kvstore.raft.proto.ConfChangeType;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.server.proto.ChangeReplicasRequest;
import io.kvstore.server.proto.ShardMembership;

/**
 * The pure parts of a replica move (elastic membership): what the shard's membership looks like from a
 * replica, and which single-voter change (Raft thesis §4.1) a step still needs. Steps are idempotent: a
 * step already in effect needs none, so a driver may repeat it after a crash.
 */
final class MembershipSteps {
  private MembershipSteps() {}

  /**
   * The shard's membership as {@code raw} sees it (on the leader with every member's match index).
   * {@code deferred} explains why a step was not proposed, when it was not.
   */
  static ShardMembership view(RawNode raw, String deferred) {
    Status s = raw.status();
    ShardMembership.Builder b = ShardMembership.newBuilder()
        .setLeaderNodeId(s.leader())
        .setTerm(s.term())
        .addAllVoters(s.membership().getVotersList())
        .addAllLearners(s.membership().getLearnersList())
        .setCommitIndex(s.commit())
        .setConfCommitted(raw.latestConfIndex() <= s.commit())
        .setLastIndex(s.lastIndex())
        .setDeferred(deferred);
    s.progress().forEach((node, p) -> b.putMatchIndex(node, p.match()));
    return b.build();
  }

  /**
   * The change that {@code action} on {@code node} still needs under membership {@code cs}: a learner is
   * added, then promoted; a replica is removed on its own. Null when the step is in effect already, and
   * for actions that are not membership changes (leadership transfer).
   */
  static ConfChangeType changeFor(ChangeReplicasRequest.Action action, ConfState cs, long node) {
    boolean voter = cs.getVotersList().contains(node);
    boolean learner = cs.getLearnersList().contains(node);
    return switch (action) {
      case ACTION_ADD_LEARNER -> voter || learner ? null : ConfChangeType.CONF_CHANGE_ADD_LEARNER;
      case ACTION_PROMOTE -> voter ? null : ConfChangeType.CONF_CHANGE_ADD_VOTER;
      case ACTION_REMOVE -> voter || learner ? ConfChangeType.CONF_CHANGE_REMOVE_NODE : null;
      default -> null;
    };
  }
}
