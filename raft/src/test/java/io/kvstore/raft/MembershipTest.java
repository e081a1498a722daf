package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.raft.ProposalRejectedException.Reason;
import io.kvstore.raft.proto.ConfChange;
import io.kvstore.raft.proto.ConfChangeSingle;
import io.kvstore.raft.proto.ConfChangeType;
import org.junit.jupiter.api.Test;

/** Membership changes (Raft §6, thesis §4): learners, single-voter changes, removing the leader. */
class MembershipTest {

  static ConfChange change(ConfChangeType type, long node) {
    return ConfChange.newBuilder()
        .addChanges(ConfChangeSingle.newBuilder().setType(type).setNodeId(node))
        .build();
  }

  private static void commitChange(SimCluster sim, ConfChange cc) {
    SimNode leader = sim.leader();
    long index = leader.node.proposeConfChange(cc).index();
    assertThat(sim.runUntil(() -> sim.leader() == null || sim.leader().core().log.committed >= index, 200))
        .isTrue();
  }

  @Test
  void learnerCatchesUpWithoutVotingThenIsPromoted() {
    SimCluster sim = SimCluster.withLeader(31, 3, SimCluster.defaults());
    for (int i = 0; i < 20; i++) {
      sim.commit(new byte[] {(byte) i});
    }
    SimNode learner = sim.addEmptyNode(4);
    commitChange(sim, change(ConfChangeType.CONF_CHANGE_ADD_LEARNER, 4));
    long target = sim.leader().core().log.lastIndex();
    assertThat(sim.runUntil(() -> learner.appliedIndex >= target, 300)).isTrue();
    assertThat(learner.core().membership.isLearner(4)).isTrue();
    // A learner never campaigns, however long it hears nothing.
    sim.isolate(4);
    for (int i = 0; i < 100; i++) {
      sim.step();
    }
    assertThat(learner.core().role).isEqualTo(Role.FOLLOWER);
    assertThat(learner.core().metrics.electionsStarted()).isZero();
    sim.heal();
    commitChange(sim, change(ConfChangeType.CONF_CHANGE_ADD_VOTER, 4));
    assertThat(sim.leader().core().membership.voters()).containsExactly(1, 2, 3, 4);
    sim.commit(new byte[] {42});
    assertThat(learner.core().membership.isVoter(4)).isTrue();
  }

  @Test
  void removingTheLeaderHandsLeadershipOver() {
    SimCluster sim = SimCluster.withLeader(32, 3, SimCluster.defaults());
    SimNode old = sim.leader();
    sim.commit(new byte[] {1});
    long index = old.node.proposeConfChange(change(ConfChangeType.CONF_CHANGE_REMOVE_NODE, old.id)).index();
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader() != old, 100)).isTrue();
    SimNode leader = sim.leader();
    assertThat(old.core().role).isEqualTo(Role.FOLLOWER);
    assertThat(leader.core().membership.voters()).doesNotContain(old.id).hasSize(2);
    assertThat(sim.runUntil(() -> leader.core().log.committed >= index, 20)).isTrue();
    // The removed node does not campaign any more, and the two remaining voters go on.
    long elections = old.core().metrics.electionsStarted();
    for (int i = 0; i < 100; i++) {
      sim.step();
    }
    assertThat(old.core().metrics.electionsStarted()).isEqualTo(elections);
    assertThat(sim.leader()).isSameAs(leader);
    sim.crash(old.id); // no longer a member: it receives nothing new
    sim.commit(new byte[] {2});
  }

  @Test
  void atMostOneVoterChangesAtATime() {
    SimCluster sim = SimCluster.withLeader(33, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    ConfChange two =
        ConfChange.newBuilder()
            .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.CONF_CHANGE_ADD_VOTER).setNodeId(4))
            .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.CONF_CHANGE_ADD_VOTER).setNodeId(5))
            .build();
    assertThatThrownBy(() -> leader.node.proposeConfChange(two))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_CONF_CHANGE));
    ConfChange removeAll =
        ConfChange.newBuilder()
            .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.CONF_CHANGE_ADD_LEARNER).setNodeId(1))
            .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.CONF_CHANGE_ADD_LEARNER).setNodeId(2))
            .build();
    assertThatThrownBy(() -> leader.node.proposeConfChange(removeAll))
        .isInstanceOf(ProposalRejectedException.class);
    // One voter plus any number of learners is fine.
    sim.addEmptyNode(4);
    sim.addEmptyNode(5);
    ConfChange ok =
        ConfChange.newBuilder()
            .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.CONF_CHANGE_ADD_LEARNER).setNodeId(4))
            .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.CONF_CHANGE_ADD_LEARNER).setNodeId(5))
            .build();
    commitChange(sim, ok);
    assertThat(sim.leader().core().membership.learners()).containsExactly(4, 5);
  }

  @Test
  void aSecondChangeWaitsForTheFirstToCommit() {
    SimCluster sim = SimCluster.withLeader(34, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.addEmptyNode(4);
    sim.addEmptyNode(5);
    leader.node.proposeConfChange(change(ConfChangeType.CONF_CHANGE_ADD_LEARNER, 4));
    assertThatThrownBy(() -> leader.node.proposeConfChange(change(ConfChangeType.CONF_CHANGE_ADD_LEARNER, 5)))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONF_CHANGE_PENDING));
    sim.settle(50);
    leader.node.proposeConfChange(change(ConfChangeType.CONF_CHANGE_ADD_LEARNER, 5));
  }

  @Test
  void aNewLeaderChangesNothingBeforeCommittingAnEntryOfItsTerm() {
    SimCluster sim = SimCluster.withLeader(35, 3, SimCluster.defaults());
    SimNode old = sim.leader();
    long target = sim.nodes.keySet().stream().filter(id -> id != old.id).findFirst().orElseThrow();
    // Hold back appends so the new leader's no-op cannot commit yet.
    sim.filter = m -> m.getType() == io.kvstore.raft.proto.MessageType.MSG_APPEND ? null : m;
    old.node.transferLeader(target);
    assertThat(sim.runUntil(() -> sim.node(target).core().role == Role.LEADER, 30)).isTrue();
    SimNode leader = sim.node(target);
    assertThat(leader.core().committedInTerm()).isFalse();
    sim.addEmptyNode(4);
    assertThatThrownBy(() -> leader.node.proposeConfChange(change(ConfChangeType.CONF_CHANGE_ADD_LEARNER, 4)))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONF_CHANGE_PENDING));
    sim.filter = m -> m;
    assertThat(sim.runUntil(() -> leader.core().committedInTerm(), 50)).isTrue();
    leader.node.proposeConfChange(change(ConfChangeType.CONF_CHANGE_ADD_LEARNER, 4));
  }
}
