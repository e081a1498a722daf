package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Leader election: Raft §5.2 and §5.4.1, pre-vote and check-quorum (thesis §9.6), transfer (§3.10). */
class ElectionTest {

  @Test
  void section5_2_oneLeaderIsElectedAndKeepsLeadingWithoutFaults() {
    SimCluster sim = SimCluster.withLeader(1, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    long term = leader.core().term;
    for (int i = 0; i < 300; i++) {
      sim.step();
    }
    assertThat(sim.leader()).isSameAs(leader);
    assertThat(leader.core().term).isEqualTo(term);
    for (SimNode n : sim.nodes.values()) {
      assertThat(n.core().leader).isEqualTo(leader.id);
      assertThat(n.core().term).isEqualTo(term);
    }
  }

  @Test
  void replicasThatDeferLetTheChosenOneWinTheFirstElectionThoughItStartsLate() {
    // Quiet idle groups too: a follower that went quiet right after learning its leader still ends its
    // deferral, or the crash below would leave the group leaderless for the rest of it.
    SimCluster sim = new SimCluster(11, 3, SimCluster.defaults().quiesce(true), RaftCore::new);
    sim.crash(3); // node 3, the one chosen to lead, is not up yet
    sim.node(1).node.deferCampaign(1_000);
    sim.node(2).node.deferCampaign(1_000);
    // Four election timeouts: without the deferral 1 and 2 elect one of them well within this.
    assertThat(sim.runUntil(() -> sim.leader() != null, 40)).isFalse();
    sim.start(sim.node(3));
    sim.node(3).node.campaign();
    assertThat(sim.runUntil(() -> sim.leader() != null, 100)).isTrue();
    assertThat(sim.leader().id).isEqualTo(3);
    assertThat(sim.runUntil(() -> sim.nodes.values().stream().allMatch(n -> n.core().quiesced), 200)).isTrue();
    // A known leader ends the deferral: when it crashes, 1 or 2 take over as usual.
    sim.crash(3);
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader().id != 3, 100)).isTrue();
  }

  @Test
  void section5_4_1_nodeWithStaleLogCannotWin() {
    SimCluster sim = SimCluster.withLeader(2, 3, SimCluster.defaults().preVote(false).checkQuorum(false));
    long l = sim.leader().id;
    long[] others = sim.nodes.keySet().stream().filter(id -> id != l).mapToLong(Long::longValue).toArray();
    long up = others[0];
    long stale = others[1];
    sim.block(l, stale);
    sim.node(l).node.propose(new byte[] {1});
    sim.deliverAll();
    sim.crash(l);
    sim.node(stale).node.campaign();
    sim.deliverAll();
    // §5.4.1: the up-to-date node refuses its vote; only the up-to-date node can win.
    assertThat(sim.node(stale).core().role).isNotEqualTo(Role.LEADER);
    sim.node(up).node.campaign();
    sim.deliverAll();
    assertThat(sim.node(up).core().role).isEqualTo(Role.LEADER);
  }

  @Test
  void thesis9_6_returningPartitionedNodeDoesNotDisruptTheLeader() {
    SimCluster sim = SimCluster.withLeader(3, 5, SimCluster.defaults());
    SimNode leader = sim.leader();
    long term = leader.core().term;
    long follower = sim.nodes.keySet().stream().filter(id -> id != leader.id).findFirst().orElseThrow();
    sim.isolate(follower);
    for (int i = 0; i < 200; i++) {
      sim.step(); // the isolated node times out again and again, but only pre-votes: its term stays
    }
    assertThat(sim.node(follower).core().term).isEqualTo(term);
    sim.heal();
    for (int i = 0; i < 100; i++) {
      sim.step();
    }
    assertThat(sim.leader()).isSameAs(leader);
    assertThat(leader.core().term).isEqualTo(term);
    assertThat(sim.node(follower).core().leader).isEqualTo(leader.id);
  }

  @Test
  void thesis6_2_checkQuorumMakesAnIsolatedLeaderStepDown() {
    SimCluster sim = SimCluster.withLeader(4, 5, SimCluster.defaults());
    SimNode old = sim.leader();
    sim.isolate(old.id);
    assertThat(sim.runUntil(() -> old.core().role != Role.LEADER, 2 * 10 + 1)).isTrue();
    assertThat(
            sim.runUntil(() -> sim.leader() != null && sim.leader().core().term > old.core().term, 200))
        .isTrue();
  }

  @Test
  void thesis3_10_leadershipTransferToAnUpToDateFollower() {
    SimCluster sim = SimCluster.withLeader(5, 3, SimCluster.defaults());
    SimNode old = sim.leader();
    long term = old.core().term;
    long target = sim.nodes.keySet().stream().filter(id -> id != old.id).findFirst().orElseThrow();
    sim.commit(new byte[] {7});
    old.node.transferLeader(target);
    // No proposals while transferring.
    assertThat(sim.runUntil(() -> sim.node(target).core().role == Role.LEADER, 20)).isTrue();
    assertThat(sim.node(target).core().term).isEqualTo(term + 1);
    assertThat(old.core().role).isEqualTo(Role.FOLLOWER);
    sim.commit(new byte[] {8});
  }

  @Test
  void restartKeepsTermVoteAndCommittedLog() {
    SimCluster sim = SimCluster.withLeader(6, 3, SimCluster.defaults());
    long index = sim.commit(new byte[] {9});
    for (long id : sim.liveIds()) {
      sim.crash(id);
    }
    for (SimNode n : sim.nodes.values()) {
      long term = n.storage.hardState().getTerm();
      sim.start(n);
      assertThat(n.core().term).isEqualTo(term);
      assertThat(n.core().log.committed).isGreaterThanOrEqualTo(index);
    }
    assertThat(sim.runUntil(() -> sim.leader() != null, 300)).isTrue();
    sim.commit(new byte[] {10});
    for (SimNode n : sim.nodes.values()) {
      assertThat(n.appliedIndex).isGreaterThan(index);
    }
  }

  @Test
  void aLeaderReportedDownIsReplacedWithinAFewTicksNotAnElectionTimeout() {
    SimCluster sim = SimCluster.withLeader(11, 3, SimCluster.defaults().electionTick(40));
    SimNode old = sim.leader();
    long term = old.core().term;
    sim.crash(old.id); // reported as gone to both followers
    // electionTick is 40: without the report no follower may even pre-campaign before 40 ticks.
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader().core().term > term, 10)).isTrue();
    assertThat(sim.nodes.values().stream().filter(SimNode::alive)
        .mapToLong(n -> n.core().metrics.leadersReportedDown()).sum()).isEqualTo(2);
  }

  @Test
  void withoutTheReportACrashedLeaderIsReplacedOnlyAfterTheElectionTimeout() {
    SimCluster sim = SimCluster.withLeader(12, 3, SimCluster.defaults().electionTick(40));
    sim.reportCrashes = false;
    SimNode old = sim.leader();
    long term = old.core().term;
    sim.crash(old.id);
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader().core().term > term, 10)).isFalse();
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader().core().term > term, 200)).isTrue();
  }

  @Test
  void aReportAboutANodeThatIsNotTheLeaderChangesNothing() {
    SimCluster sim = SimCluster.withLeader(13, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    long term = leader.core().term;
    long[] followers = sim.nodes.keySet().stream().filter(id -> id != leader.id).mapToLong(Long::longValue)
        .toArray();
    // Follower A hears that follower B is gone (and the leader hears it too): no follower forgets the leader.
    sim.node(followers[0]).node.reportPeerDown(followers[1]);
    leader.node.reportPeerDown(followers[0]);
    for (int i = 0; i < 100; i++) {
      sim.step();
    }
    assertThat(sim.leader()).isSameAs(leader);
    assertThat(leader.core().term).isEqualTo(term);
    assertThat(sim.node(followers[0]).core().leader).isEqualTo(leader.id);
    assertThat(sim.node(followers[0]).core().metrics.leadersReportedDown()).isZero();
  }

  @Test
  void theSurvivorsOfADeadLeaderNeverSplitTheVoteWhateverTheSeed() {
    // Without distinct slots, two survivors campaigning in the same tick each vote for themselves and the
    // group waits a whole election timeout more. Every seed must elect within a few ticks.
    for (long seed = 100; seed < 140; seed++) {
      SimCluster sim = SimCluster.withLeader(seed, 3 + 2 * (int) (seed % 2), SimCluster.defaults().electionTick(40));
      SimNode old = sim.leader();
      long term = old.core().term;
      sim.crash(old.id);
      assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader().core().term > term, 15))
          .as("seed %d", seed).isTrue();
    }
  }
}
