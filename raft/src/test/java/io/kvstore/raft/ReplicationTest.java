package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Log replication (Raft §5.3): batching, pipelining, flow control, fast backtracking. */
class ReplicationTest {

  @Test
  void proposalsBetweenTwoReadiesGoOutAsOneAppendPerFollower() {
    SimCluster sim = SimCluster.withLeader(11, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    Map<Long, Integer> appends = new HashMap<>();
    Map<Long, Integer> entries = new HashMap<>();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND && m.getEntriesCount() > 0) {
            appends.merge(m.getTo(), 1, Integer::sum);
            entries.merge(m.getTo(), m.getEntriesCount(), Integer::sum);
          }
          return m;
        };
    for (int i = 0; i < 100; i++) {
      leader.node.propose(new byte[] {(byte) i});
    }
    sim.handleReady(leader);
    assertThat(appends).hasSize(2).allSatisfy((to, n) -> assertThat(n).isEqualTo(1));
    assertThat(entries).allSatisfy((to, n) -> assertThat(n).isEqualTo(100));
    sim.settle(50);
    assertThat(sim.node(leader.id).appliedIndex).isEqualTo(leader.core().log.lastIndex());
  }

  @Test
  void appendsArePipelinedUpToTheInflightLimit() {
    SimCluster sim =
        SimCluster.withLeader(12, 3, SimCluster.defaults().maxSizePerMsg(1).maxInflightMsgs(4));
    SimNode leader = sim.leader();
    AtomicInteger appends = new AtomicInteger();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND && m.getEntriesCount() > 0) {
            appends.incrementAndGet();
          }
          return m;
        };
    for (int i = 0; i < 10; i++) {
      leader.node.propose(new byte[] {(byte) i});
    }
    sim.handleReady(leader);
    // One entry per message (maxSizePerMsg), four in flight per follower before any acknowledgement.
    assertThat(appends.get()).isEqualTo(2 * 4);
    sim.settle(100);
    for (SimNode n : sim.nodes.values()) {
      assertThat(n.appliedIndex).isEqualTo(leader.core().log.lastIndex());
    }
  }

  @Test
  void flowControlByBytesLimitsWhatIsInFlight() {
    SimCluster sim =
        SimCluster.withLeader(
            13, 3, SimCluster.defaults().maxSizePerMsg(1).maxInflightMsgs(100).maxInflightBytes(300));
    SimNode leader = sim.leader();
    AtomicInteger appends = new AtomicInteger();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND && m.getEntriesCount() > 0) {
            appends.incrementAndGet();
          }
          return m;
        };
    for (int i = 0; i < 50; i++) {
      leader.node.propose(new byte[100]);
    }
    sim.handleReady(leader);
    // Each entry is ~110 bytes: a 300-byte window admits three appends per follower.
    assertThat(appends.get()).isEqualTo(2 * 3);
    sim.settle(200);
    assertThat(sim.node(leader.id).appliedIndex).isEqualTo(leader.core().log.lastIndex());
  }

  @Test
  void section5_3_divergentFollowerIsRepairedWithFewRoundTrips() {
    SimCluster sim = SimCluster.withLeader(14, 3, SimCluster.defaults());
    SimNode old = sim.leader();
    sim.isolate(old.id);
    for (int i = 0; i < 60; i++) {
      old.node.propose(new byte[] {1, (byte) i}); // never committed: the old leader is alone
    }
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader() != old, 300)).isTrue();
    SimNode leader = sim.leader();
    for (int i = 0; i < 30; i++) {
      leader.node.propose(new byte[] {2, (byte) i});
    }
    sim.settle(50);
    // A new leader starts probing at its own last index: hand leadership over so the probe starts 31
    // entries past the point where the logs diverge.
    long third = sim.nodes.keySet().stream().filter(id -> id != old.id && id != leader.id).findFirst().orElseThrow();
    leader.node.transferLeader(third);
    assertThat(sim.runUntil(() -> sim.leader() != null && sim.leader().id == third, 50)).isTrue();
    AtomicInteger rejections = new AtomicInteger();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND_RESP && m.getReject() && m.getFrom() == old.id) {
            rejections.incrementAndGet();
          }
          return m;
        };
    sim.heal();
    long target = sim.leader().core().log.lastIndex();
    assertThat(sim.runUntil(() -> old.appliedIndex >= target, 300)).isTrue();
    // Without the conflict hints the leader would step back one entry per rejection (60 of them).
    assertThat(rejections.get()).isBetween(1, 3);
    assertThat(old.core().log.termOrZero(target)).isEqualTo(sim.leader().core().log.termOrZero(target));
  }

  @Test
  void lostAppendsAreRecoveredByHeartbeats() {
    SimCluster sim = SimCluster.withLeader(15, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.filter = m -> m.getType() == MessageType.MSG_APPEND ? null : m;
    long index = leader.node.propose(new byte[] {3}).index();
    for (int i = 0; i < 5; i++) {
      sim.step();
    }
    assertThat(leader.core().log.committed).isLessThan(index);
    sim.filter = m -> m;
    assertThat(sim.runUntil(() -> sim.nodes.values().stream().allMatch(n -> n.appliedIndex >= index), 50))
        .isTrue();
  }

  @Test
  void aHeartbeatAnsweredWhileTheAppendBeforeItIsStillBeingPersistedDoesNotMakeTheLeaderResend() {
    SimCluster sim = SimCluster.withLeader(17, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    Map<Long, Integer> appends = new HashMap<>();
    AtomicLong firstAnswer = new AtomicLong(-1); // the read round's, the first heartbeat answer
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND && m.getEntriesCount() > 0) {
            appends.merge(m.getTo(), 1, Integer::sum);
          }
          if (m.getType() == MessageType.MSG_HEARTBEAT_RESP) {
            firstAnswer.compareAndSet(-1, m.getIndex());
          }
          return m;
        };
    // No timer heartbeats: the read's round is the only one, so it marks the append sent before it.
    sim.nodes.values().forEach(n -> n.tickEvery = Integer.MAX_VALUE);
    sim.settle(10);
    long index = leader.node.propose(new byte[] {5}).index();
    sim.handleReady(leader); // the append leaves ...
    leader.node.readIndex(new byte[] {1});
    sim.handleReady(leader); // ... then a read's heartbeat round: both reach the follower in one step
    assertThat(sim.runUntil(() -> sim.nodes.values().stream().allMatch(n -> n.appliedIndex >= index), 20))
        .isTrue();
    // The follower answered the heartbeat before its fsync, naming the entry before the new one as its
    // last durable entry; the new one it had received, so nothing was lost and nothing is resent.
    assertThat(firstAnswer.get()).isNotNegative().isLessThan(index);
    assertThat(appends).hasSize(2).allSatisfy((to, n) -> assertThat(n).isEqualTo(1));
  }

  @Test
  void lostAcknowledgementsAreMadeUpByHeartbeatAnswersWithoutResending() {
    SimCluster sim = SimCluster.withLeader(16, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    AtomicInteger appends = new AtomicInteger();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND_RESP) {
            return null; // every append acknowledgement is lost
          }
          if (m.getType() == MessageType.MSG_APPEND && m.getEntriesCount() > 0) {
            appends.incrementAndGet();
          }
          return m;
        };
    long index = leader.node.propose(new byte[] {4}).index();
    assertThat(sim.runUntil(() -> sim.nodes.values().stream().allMatch(n -> n.appliedIndex >= index), 20))
        .isTrue();
    // The follower's last entry in its heartbeat answer proves it holds the log up to there.
    assertThat(appends.get()).isEqualTo(2);
  }

  @Test
  void followersLearnTheCommitIndexAtOnceAndAcknowledgeOnlyTheEntries() {
    SimCluster sim = SimCluster.withLeader(17, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.settle(50);
    Map<Long, Integer> acks = new HashMap<>();
    AtomicInteger notices = new AtomicInteger();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_APPEND_RESP) {
            acks.merge(m.getFrom(), 1, Integer::sum);
          }
          if (m.getType() == MessageType.MSG_APPEND && m.getCommitOnly()) {
            assertThat(m.getEntriesCount()).isZero();
            notices.incrementAndGet();
          }
          return m;
        };
    long index = leader.node.propose(new byte[] {5}).index();
    // No ticks: the followers apply because the commit notice reaches them, not a heartbeat.
    sim.deliverAll();
    for (SimNode n : sim.nodes.values()) {
      assertThat(n.appliedIndex).as("node %d applied", n.id).isGreaterThanOrEqualTo(index);
    }
    assertThat(notices.get()).isEqualTo(2);
    // One acknowledgement per follower: the entry's. The commit notice is not answered.
    assertThat(acks).hasSize(2).allSatisfy((from, n) -> assertThat(n).isEqualTo(1));
  }

  @Test
  void aCommitNoticeThatDoesNotMatchTheFollowersLogIsRejectedAloud() {
    SimCluster sim = SimCluster.withLeader(18, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.settle(50);
    SimNode follower = sim.nodes.values().stream().filter(n -> n.id != leader.id).findFirst().orElseThrow();
    long last = leader.core().log.lastIndex();
    follower.node.step(
        Message.newBuilder()
            .setType(MessageType.MSG_APPEND)
            .setFrom(leader.id)
            .setTo(follower.id)
            .setTerm(leader.core().term)
            .setIndex(last + 5) // beyond the follower's log
            .setLogTerm(leader.core().term)
            .setCommit(last)
            .setCommitOnly(true)
            .build());
    Ready rd = follower.node.ready();
    assertThat(rd.persistedMessages())
        .singleElement()
        .satisfies(m -> {
          assertThat(m.getType()).isEqualTo(MessageType.MSG_APPEND_RESP);
          assertThat(m.getReject()).isTrue();
        });
    follower.node.advance(rd);
  }

  static Message append(long from, long to, long term) {
    return Message.newBuilder().setType(MessageType.MSG_APPEND).setFrom(from).setTo(to).setTerm(term).build();
  }
}
