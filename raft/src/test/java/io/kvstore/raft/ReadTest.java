package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Linearizable reads without log writes: ReadIndex (Raft §6.4) and the leader lease (thesis §6.4.1). */
class ReadTest {

  @Test
  void section6_4_readIndexOnTheLeaderWaitsForAHeartbeatRound() {
    SimCluster sim = SimCluster.withLeader(41, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    List<Message> heartbeats = recordHeartbeats(sim);
    long before = sim.readsAnswered;
    sim.read(leader.id);
    // Not answered at once: leadership must be confirmed by a quorum after the request (§6.4 step 2).
    assertThat(leader.core().readStates).isEmpty();
    sim.processAll();
    // One follower of two makes a quorum with the leader: the read's round asks just that one.
    assertThat(heartbeats).hasSize(1);
    assertThat(sim.readsAnswered).isEqualTo(before);
    assertThat(sim.runUntil(() -> sim.readsAnswered > before, 5)).isTrue();
    assertThat(leader.core().metrics.readIndexReads()).isEqualTo(1);
  }

  @Test
  void aReadWhoseAskedFollowerIsGoneIsConfirmedByTheNextHeartbeatAndLaterReadsAskAnother() {
    SimCluster sim = SimCluster.withLeader(46, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    List<Message> heartbeats = recordHeartbeats(sim);
    long first = sim.readsAnswered;
    sim.read(leader.id);
    sim.processAll();
    assertThat(heartbeats).hasSize(1);
    long asked = heartbeats.get(0).getTo();
    assertThat(sim.runUntil(() -> sim.readsAnswered > first, 5)).isTrue();

    // The follower it asked dies. The next read may ask it again (it answered the newest round), but the
    // heartbeat of the next tick goes to every member, and the live follower's answer confirms the read.
    sim.crash(asked);
    long second = sim.readsAnswered;
    sim.read(leader.id);
    assertThat(sim.runUntil(() -> sim.readsAnswered > second, 2 * 2 + 2)).isTrue();

    // From then on the live follower has answered the newer rounds: reads ask it alone.
    heartbeats.clear();
    long third = sim.readsAnswered;
    sim.read(leader.id);
    sim.processAll();
    assertThat(heartbeats).extracting(Message::getTo).containsExactly(
        sim.liveIds().stream().filter(id -> id != leader.id).findFirst().orElseThrow());
    assertThat(sim.runUntil(() -> sim.readsAnswered > third, 5)).isTrue();
  }

  @Test
  void aReadForwardedByAFollowerAsksThatFollowerTooSoItLearnsTheCommitIndex() {
    SimCluster sim = SimCluster.withLeader(47, 5, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    List<Message> heartbeats = recordHeartbeats(sim);
    long forwarder = sim.liveIds().stream().filter(id -> id != leader.id).max(Long::compare).orElseThrow();
    long before = sim.readsAnswered;
    sim.read(forwarder);
    assertThat(sim.runUntil(() -> sim.readsAnswered > before, 20)).isTrue();
    // Rounds of the heartbeat timer go to all four followers; the read's round to a quorum (two
    // followers with the leader) and to the follower waiting for the answer.
    Map<Long, Set<Long>> byRound = new HashMap<>();
    for (Message m : heartbeats) {
      byRound.computeIfAbsent(m.getRound(), r -> new HashSet<>()).add(m.getTo());
    }
    assertThat(byRound.values())
        .anySatisfy(to -> assertThat(to).contains(forwarder).hasSizeBetween(2, 3));
  }

  @Test
  void readIndexFromAFollowerIsAnsweredThroughTheLeader() {
    SimCluster sim = SimCluster.withLeader(42, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    SimNode follower =
        sim.nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
    long before = sim.readsAnswered;
    sim.read(follower.id);
    assertThat(sim.runUntil(() -> sim.readsAnswered > before, 20)).isTrue();
    assertThat(leader.core().metrics.readIndexReads()).isEqualTo(1);
  }

  @Test
  void aPartitionedLeaderNeverAnswersAReadIndex() {
    SimCluster sim = SimCluster.withLeader(43, 5, SimCluster.defaults());
    SimNode old = sim.leader();
    sim.commit(new byte[] {1});
    sim.isolate(old.id);
    long before = sim.readsAnswered;
    sim.read(old.id);
    for (int i = 0; i < 100; i++) {
      sim.step();
      SimNode l = sim.leader();
      if (l != null && l != old) {
        try {
          l.node.propose(new byte[] {2}); // the majority side moves on
        } catch (ProposalRejectedException e) {
          // transfer in progress
        }
      }
    }
    assertThat(sim.readsAnswered).isEqualTo(before);
    assertThat(old.core().metrics.readIndexReads()).isZero();
  }

  @Test
  void leaseReadsAreAnsweredAtOnceAndStopWhenTheLeaseLapses() {
    SimCluster sim = SimCluster.withLeader(44, 3, SimCluster.defaults().leaseRead(true).maxClockDriftTicks(2));
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    for (int i = 0; i < 4; i++) {
      sim.step(); // heartbeat rounds establish the lease
    }
    leader.node.readIndex(new byte[] {1}, true);
    assertThat(leader.core().readStates).hasSize(1);
    assertThat(leader.core().readStates.get(0).lease()).isTrue();
    sim.processAll();
    // Cut off, the leader's lease runs out before electionTick (10) - drift (2) ticks after the last
    // round a quorum confirmed; reads are then not answered without a round (which cannot complete).
    sim.isolate(leader.id);
    for (int i = 0; i < 8; i++) {
      sim.step();
    }
    assertThat(leader.core().leaseValid()).isFalse();
    long leaseReads = leader.core().metrics.leaseReads();
    if (leader.core().role == Role.LEADER) {
      leader.node.readIndex(new byte[] {2}, true);
      assertThat(leader.core().metrics.leaseReads()).isEqualTo(leaseReads);
    }
  }

  @Test
  void aLeaderTransferVoidsTheLease() {
    SimCluster sim = SimCluster.withLeader(45, 3, SimCluster.defaults().leaseRead(true));
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    sim.step();
    sim.step();
    assertThat(leader.core().leaseValid()).isTrue();
    long target = sim.nodes.keySet().stream().filter(id -> id != leader.id).findFirst().orElseThrow();
    leader.node.transferLeader(target);
    assertThat(leader.core().leaseValid()).isFalse();
  }

  /**
   * Isolates the leader right after its lease was renewed, lets the others elect a new leader and commit,
   * then reads on the old leader. Returns normally if no stale read happened.
   */
  private static void readOnOldLeaderAfterNewCommit(int leaderSkipEvery, int leaderTickEvery) {
    SimCluster sim =
        SimCluster.withLeader(46, 3, SimCluster.defaults().leaseRead(true).maxClockDriftTicks(2));
    SimNode old = sim.leader();
    old.skipEvery = leaderSkipEvery;
    old.tickEvery = leaderTickEvery;
    sim.commit(new byte[] {1});
    for (int i = 0; i < 4; i++) {
      sim.step();
    }
    sim.isolate(old.id);
    boolean moved =
        sim.runUntil(
            () -> {
              SimNode l = sim.leader();
              if (l != null && l != old && l.core().committedInTerm()) {
                return true;
              }
              if (l != null && l != old) {
                try {
                  l.node.propose(new byte[] {2});
                } catch (RuntimeException e) {
                  // not yet
                }
              }
              return false;
            },
            100);
    assertThat(moved).isTrue();
    if (old.core().role == Role.LEADER) {
      sim.read(old.id);
      sim.processAll();
    }
  }

  @Test
  void leaseReadsStayLinearizableWhenClockDriftIsWithinTheBound() {
    readOnOldLeaderAfterNewCommit(10, 1); // the old leader's clock runs 10% slow: within the bound
  }

  @Test
  void aClockDriftBeyondTheBoundMakesLeaseReadsStaleAndTheOracleCatchesIt() {
    // The old leader's clock runs at a third of the speed: its lease outlives the next leader's election.
    assertThatThrownBy(() -> readOnOldLeaderAfterNewCommit(0, 3))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("linearizable read");
  }

  /** A leader with a valid lease (a quorum confirmed a recent round), in a 3-node cluster. */
  private static SimCluster clusterWithLease(int seed) {
    SimCluster sim = SimCluster.withLeader(seed, 3, SimCluster.defaults().leaseRead(true).maxClockDriftTicks(2));
    sim.commit(new byte[] {1});
    for (int i = 0; i < 4; i++) {
      sim.step();
    }
    assertThat(sim.leader().core().leaseValid()).isTrue();
    return sim;
  }

  @Test
  void aReadThatDoesNotAllowTheLeaseNeverUsesIt() {
    SimCluster sim = clusterWithLease(47);
    SimNode leader = sim.leader();
    long leaseReads = leader.core().metrics.leaseReads();
    long answered = sim.readsAnswered;
    sim.read(leader.id, false);
    leader.node.readIndex(new byte[] {9}); // the one-argument form is the safe one
    assertThat(leader.core().readStates).isEmpty(); // not at once: a heartbeat round first
    sim.runUntil(() -> sim.readsAnswered > answered, 20);
    sim.settle(20);
    assertThat(sim.readsAnswered).isEqualTo(answered + 1);
    assertThat(leader.core().metrics.leaseReads()).isEqualTo(leaseReads);
    assertThat(leader.core().metrics.readIndexReads()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void afterExpireLeaseALeaseReadTakesAReadIndexRoundAndTheNextRoundRenewsTheLease() {
    SimCluster sim = clusterWithLease(48);
    SimNode leader = sim.leader();
    leader.node.expireLease();
    assertThat(leader.core().leaseValid()).isFalse();
    long leaseReads = leader.core().metrics.leaseReads();
    long answered = sim.readsAnswered;
    sim.read(leader.id, true);
    assertThat(leader.core().readStates).isEmpty();
    assertThat(sim.runUntil(() -> sim.readsAnswered > answered, 20)).isTrue();
    assertThat(leader.core().metrics.leaseReads()).isEqualTo(leaseReads); // answered by the round
    // The round sent after expireLease, acknowledged by a quorum, starts a new lease.
    assertThat(leader.core().leaseValid()).isTrue();
    sim.read(leader.id, true);
    assertThat(leader.core().metrics.leaseReads()).isEqualTo(leaseReads + 1);
  }

  @Test
  void aRoundSentBeforeExpireLeaseConfirmsReadsButStartsNoLease() {
    SimCluster sim = clusterWithLease(49);
    SimNode leader = sim.leader();
    sim.read(leader.id, false); // registers a read; its heartbeat round leaves with the next Ready
    sim.processAll();
    leader.node.expireLease(); // the round is already out: its acknowledgements must not renew the lease
    long answered = sim.readsAnswered;
    sim.step();
    sim.step();
    assertThat(sim.readsAnswered).isEqualTo(answered + 1);
    assertThat(leader.core().leaseValid()).isFalse();
  }

  /**
   * The chaos finding: a leader stopped (SIGSTOP) for longer than an election timeout, while the others
   * elect a new leader and commit, then woken with a read queued. Returns normally if no stale read.
   */
  private static void readOnLeaderWokenFromAPause(boolean driverNoticed) {
    SimCluster sim = clusterWithLease(50);
    SimNode old = sim.leader();
    sim.pause(old.id);
    boolean moved =
        sim.runUntil(
            () -> {
              SimNode l = sim.leader();
              if (l != null && l != old && l.core().term > old.core().term && l.core().committedInTerm()) {
                return true;
              }
              if (l != null && l != old) {
                try {
                  l.node.propose(new byte[] {2});
                } catch (RuntimeException e) {
                  // not yet
                }
              }
              return false;
            },
            100);
    assertThat(moved).isTrue();
    assertThat(old.core().role).isEqualTo(Role.LEADER); // it still believes it leads
    sim.resume(old.id, driverNoticed);
    long leaseReads = old.core().metrics.leaseReads();
    if (old.core().role == Role.LEADER) {
      sim.read(old.id, true); // the read queued while it was stopped, before it hears the new term
    }
    sim.processAll();
    if (driverNoticed) {
      assertThat(old.core().metrics.leaseReads()).isEqualTo(leaseReads);
    }
    sim.settle(50);
  }

  @Test
  void aLeaderWokenFromAPauseServesNoStaleReadWhenTheDriverExpiresItsLease() {
    readOnLeaderWokenFromAPause(true);
  }

  @Test
  void withoutExpireLeaseALeaderWokenFromAPauseServesAStaleReadAndTheOracleCatchesIt() {
    assertThatThrownBy(() -> readOnLeaderWokenFromAPause(false))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("linearizable read");
  }

  /** Every MSG_HEARTBEAT the cluster sends from now on, in order. */
  private static List<Message> recordHeartbeats(SimCluster sim) {
    List<Message> heartbeats = new ArrayList<>();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_HEARTBEAT) {
            heartbeats.add(m);
          }
          return m;
        };
    return heartbeats;
  }
}
