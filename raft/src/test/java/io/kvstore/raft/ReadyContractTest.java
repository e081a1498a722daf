package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import org.junit.jupiter.api.Test;

/** The driver contract of {@link Ready}: what may leave before persistence, numbering, advance. */
class ReadyContractTest {

  private static RawNode node(long id, MemoryStorage storage) {
    return new RawNode(Config.builder(id).electionTick(10).heartbeatTick(1).build(), storage);
  }

  private static ConfState voters(long... ids) {
    ConfState.Builder b = ConfState.newBuilder();
    for (long id : ids) {
      b.addVoters(id);
    }
    return b.build();
  }

  @Test
  void votesLeaveOnlyAfterTheTermAndVoteArePersisted() {
    MemoryStorage s = MemoryStorage.bootstrap(voters(1, 2, 3));
    RawNode n = new RawNode(Config.builder(1).preVote(false).build(), s);
    n.campaign();
    Ready rd = n.ready();
    assertThat(rd.hardState().getVote()).isEqualTo(1);
    assertThat(rd.mustSync()).isTrue();
    assertThat(rd.messages()).isEmpty();
    assertThat(rd.persistedMessages()).extracting(Message::getType).containsOnly(MessageType.MSG_VOTE);
    s.persist(rd);
    n.advance(rd);
  }

  @Test
  void aLeaderSendsItsAppendsWhileItPersistsThemAndCommitsOnlyOnceDurable() {
    MemoryStorage s = MemoryStorage.bootstrap(voters(1));
    RawNode n = node(1, s);
    n.campaign();
    // single voter: wins at once, appends its no-op; nothing is committed before the no-op is durable
    Ready rd = n.ready();
    assertThat(rd.softState().role()).isEqualTo(Role.LEADER);
    assertThat(rd.entries()).hasSize(1);
    assertThat(rd.committedEntries()).isEmpty();
    s.persist(rd);
    n.advance(rd);
    Ready next = n.ready();
    assertThat(next.committedEntries()).hasSize(1);
    assertThat(next.number()).isEqualTo(rd.number() + 1);
    n.advance(next);
  }

  @Test
  void aHeartbeatIsAnsweredAtOnceWithTheLastDurableEntryNotTheOnesStillBeingPersisted() {
    MemoryStorage s = MemoryStorage.bootstrap(voters(1, 2, 3));
    RawNode f = node(2, s);
    f.step(Message.newBuilder().setType(MessageType.MSG_APPEND).setFrom(1).setTo(2).setTerm(2)
        .setIndex(1).setLogTerm(1).setCommit(1)
        .addEntries(Entry.newBuilder().setIndex(2).setTerm(2).build()).build());
    f.step(Message.newBuilder().setType(MessageType.MSG_HEARTBEAT).setFrom(1).setTo(2).setTerm(2)
        .setCommit(1).setRound(5).build());
    Ready rd = f.ready();
    assertThat(rd.entries()).extracting(Entry::getIndex).containsExactly(2L);
    // The heartbeat's answer does not wait for this Ready's fsync (a leader's ReadIndex round would
    // otherwise wait for whatever the follower is writing), so it reports only what is durable already.
    assertThat(rd.messages()).singleElement().satisfies(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_HEARTBEAT_RESP);
      assertThat(m.getRound()).isEqualTo(5);
      assertThat(m.getIndex()).isEqualTo(1);
      assertThat(m.getLogTerm()).isEqualTo(1);
    });
    // The append's acknowledgement still waits for the entry to be durable.
    assertThat(rd.persistedMessages()).singleElement().satisfies(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_APPEND_RESP);
      assertThat(m.getIndex()).isEqualTo(2);
    });
    s.persist(rd);
    f.advance(rd);

    f.step(Message.newBuilder().setType(MessageType.MSG_HEARTBEAT).setFrom(1).setTo(2).setTerm(2)
        .setCommit(1).setRound(6).build());
    Ready next = f.ready();
    assertThat(next.messages()).singleElement().satisfies(m -> {
      assertThat(m.getRound()).isEqualTo(6);
      assertThat(m.getIndex()).isEqualTo(2);
      assertThat(m.getLogTerm()).isEqualTo(2);
    });
    s.persist(next);
    f.advance(next);
  }

  @Test
  void nothingElseMayBeCalledBetweenReadyAndAdvance() {
    MemoryStorage s = MemoryStorage.bootstrap(voters(1));
    RawNode n = node(1, s);
    n.campaign();
    Ready rd = n.ready();
    assertThatThrownBy(n::tick).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> n.propose(new byte[1])).isInstanceOf(IllegalStateException.class);
    assertThat(n.hasReady()).isFalse();
    assertThatThrownBy(() -> n.advance(null)).isInstanceOf(IllegalStateException.class);
    s.persist(rd);
    n.advance(rd);
    n.tick();
  }

  @Test
  void aFollowerRefusesProposalsNamingTheLeader() {
    SimCluster sim = SimCluster.withLeader(71, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    SimNode f = sim.nodes.values().stream().filter(x -> x != leader).findFirst().orElseThrow();
    assertThatThrownBy(() -> f.node.propose(new byte[] {1}))
        .isInstanceOfSatisfying(NotLeaderException.class, e -> assertThat(e.leader()).isEqualTo(leader.id));
    assertThat(f.node.status().leader()).isEqualTo(leader.id);
    assertThat(leader.node.status().progress()).hasSize(3);
  }

  /**
   * A single voter elected, its no-op (index 2) and one write (index 3) committed and applied; each Ready
   * persisted by {@code persist}.
   */
  private static RawNode leaderWithOneWrite(MemoryStorage s, java.util.function.Consumer<Ready> persist) {
    RawNode n = node(1, s);
    n.campaign();
    for (int i = 0; i < 3; i++) {
      Ready rd = n.ready();
      persist.accept(rd);
      n.advance(rd);
      if (i == 0) {
        n.propose(new byte[] {7});
      }
    }
    return n;
  }

  @Test
  void aRestartHandsOutCommittedEntriesAfterTheAppliedIndexAgain() {
    MemoryStorage s = MemoryStorage.bootstrap(voters(1));
    leaderWithOneWrite(s, s::persist);
    long commit = s.hardState().getCommit();
    assertThat(commit).isEqualTo(3);
    RawNode again = new RawNode(Config.builder(1).applied(1).build(), s);
    Ready rd = again.ready();
    assertThat(rd.committedEntries()).extracting(e -> e.getIndex()).containsExactly(2L, 3L);
  }

  @Test
  void aRestartWithoutAStoredCommitIndexTakesTheAppliedIndexAsCommitted() {
    MemoryStorage s = MemoryStorage.bootstrap(voters(1));
    RawNode n = leaderWithOneWrite(s, s::persistWithoutCommitIndex);
    assertThat(n.status().commit()).isEqualTo(3);
    assertThat(s.hardState().getCommit()).as("commit-only changes are not stored").isEqualTo(1);
    // Applied up to 3 before the restart: 3 is committed, and nothing is handed out a second time.
    RawNode again = new RawNode(Config.builder(1).applied(3).build(), s);
    assertThat(again.status().commit()).isEqualTo(3);
    assertThat(again.status().applied()).isEqualTo(3);
    again.campaign();
    Ready rd = again.ready();
    assertThat(rd.committedEntries()).isEmpty();
    s.persistWithoutCommitIndex(rd);
    again.advance(rd);
    // Its new term's no-op (index 4) commits on top of what was recovered.
    Ready next = again.ready();
    assertThat(next.committedEntries()).extracting(e -> e.getIndex()).containsExactly(4L);
  }
}
