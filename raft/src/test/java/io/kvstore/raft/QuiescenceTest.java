package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Idle groups go quiet (no heartbeats) and wake on demand; see {@link Config#quiesce()}. */
class QuiescenceTest {

  @Test
  void anIdleGroupSendsNothingUntilAProposalWakesIt() {
    SimCluster sim = SimCluster.withLeader(51, 3, SimCluster.defaults().quiesce(true));
    sim.commit(new byte[] {1});
    for (int i = 0; i < 20; i++) {
      sim.step();
    }
    assertThat(sim.nodes.values()).allSatisfy(n -> assertThat(n.core().quiesced).isTrue());
    long sent = sim.messagesSent;
    for (int i = 0; i < 1000; i++) {
      sim.step();
    }
    assertThat(sim.messagesSent).isEqualTo(sent);
    SimNode leader = sim.leader();
    sim.commit(new byte[] {2});
    assertThat(sim.leader()).isSameAs(leader);
  }

  @Test
  void followersOfAQuietGroupElectANewLeaderWhenTheFailureDetectorReportsTheLeaderDown() {
    SimCluster sim = SimCluster.withLeader(52, 3, SimCluster.defaults().quiesce(true));
    sim.commit(new byte[] {1});
    for (int i = 0; i < 20; i++) {
      sim.step();
    }
    SimNode old = sim.leader();
    assertThat(old.core().quiesced).isTrue();
    sim.crash(old.id); // reports the node down to the others
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader() != old, 100)).isTrue();
    sim.commit(new byte[] {2});
  }

  @Test
  void aFollowerThatMissedTheQuiesceHeartbeatWakesTheLeaderInsteadOfDeposingIt() {
    SimCluster sim = SimCluster.withLeader(53, 3, SimCluster.defaults().quiesce(true));
    sim.commit(new byte[] {1});
    SimNode leader = sim.leader();
    long term = leader.core().term;
    sim.filter = m -> m.getQuiesce() && m.getTo() == (leader.id == 1 ? 2 : 1) ? null : m;
    for (int i = 0; i < 200; i++) {
      sim.step();
    }
    assertThat(sim.leader()).isSameAs(leader);
    assertThat(leader.core().term).isEqualTo(term);
  }
}
