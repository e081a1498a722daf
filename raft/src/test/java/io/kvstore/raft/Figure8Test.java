package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Raft §5.4.2 and Figure 8: a leader must not commit an entry of an older term by counting replicas,
 * because a later leader may still overwrite it. Replays the figure's (a)–(d) on five nodes: with the
 * real rule nothing committed is lost; with the rule removed (test-only subclass) the oracle sees a
 * committed entry overwritten.
 */
class Figure8Test {

  private static Config.Builder config() {
    // One entry per append and one append in flight, so an old entry can be replicated alone.
    return Config.builder(1)
        .electionTick(10)
        .heartbeatTick(2)
        .preVote(false)
        .checkQuorum(false)
        .maxSizePerMsg(1)
        .maxInflightMsgs(1);
  }

  /** Removes the entries of {@code term} from {@code from}'s appends (they are "lost" on the way). */
  private static Message stripTerm(Message m, long from, long term) {
    if (m.getFrom() != from || m.getType() != MessageType.MSG_APPEND) {
      return m;
    }
    Message.Builder b = m.toBuilder().clearEntries();
    for (Entry e : m.getEntriesList()) {
      if (e.getTerm() != term) {
        b.addEntries(e);
      }
    }
    return b.build();
  }

  private static void electUntilLeader(SimCluster sim, long id) {
    for (int i = 0; i < 5 && sim.node(id).core().role != Role.LEADER; i++) {
      sim.node(id).node.campaign();
      sim.deliverAll();
    }
    assertThat(sim.node(id).core().role).isEqualTo(Role.LEADER);
  }

  /** Runs (a)–(d); returns the commit index S1 reached in (c). */
  private static long runFigure8(BiFunction<Config, LogStorage, RaftCore> factory) {
    SimCluster sim = new SimCluster(8, 5, config(), factory);
    // (a) S1 leads term 2; its entry at index 3 reaches only S2.
    electUntilLeader(sim, 1);
    long t2 = sim.node(1).core().term;
    sim.isolate(1);
    sim.heal();
    sim.block(1, 3);
    sim.block(1, 4);
    sim.block(1, 5);
    long x = sim.node(1).node.propose(new byte[] {'x'}).index();
    sim.deliverAll();
    assertThat(sim.node(2).core().log.termOrZero(x)).isEqualTo(t2);
    assertThat(sim.node(3).core().log.lastIndex()).isLessThan(x);
    // (b) S1 crashes; S5 wins with S3 and S4 and appends its no-op at index x, which reaches nobody.
    sim.heal();
    sim.crash(1);
    sim.filter = m -> m.getFrom() == 5 && m.getType() == MessageType.MSG_APPEND ? null : m;
    electUntilLeader(sim, 5);
    long t3 = sim.node(5).core().term;
    assertThat(sim.node(5).core().log.termOrZero(x)).isEqualTo(t3);
    sim.crash(5);
    // (c) S1 restarts and leads a later term; index x (of term t2) reaches S3, S1's new no-op reaches
    // nobody: x is now on a majority (S1, S2, S3).
    sim.start(sim.node(1));
    sim.filter =
        m -> m.getTo() == 4 || m.getTo() == 5 ? null : stripTerm(m, 1, sim.node(1).core().term);
    electUntilLeader(sim, 1);
    sim.tick(1, 4); // heartbeats: S3 answers, S1 probes it and backtracks to x
    sim.deliverAll();
    assertThat(sim.node(3).core().log.termOrZero(x)).isEqualTo(t2);
    long s1Commit = sim.node(1).core().log.committed;
    // (d) S1 crashes; S5 restarts and wins with S2, S3, S4 (its last term t3 beats their t2), then
    // overwrites index x everywhere.
    sim.crash(1);
    sim.start(sim.node(5));
    sim.filter = m -> m;
    electUntilLeader(sim, 5);
    sim.deliverAll();
    assertThat(sim.node(3).core().log.termOrZero(x)).isEqualTo(t3);
    return s1Commit;
  }

  @Test
  void leaderDoesNotCommitOldTermEntryByCountingReplicas() {
    long commitInC = runFigure8(RaftCore::new);
    // S1 had x on a majority in (c) but did not commit it: it is not of S1's current term.
    assertThat(commitInC).isLessThan(3);
  }

  @Test
  void withoutTheRuleACommittedEntryIsOverwrittenAndTheOracleCatchesIt() {
    assertThatThrownBy(() -> runFigure8(BrokenCommitRuleTest.OldTermCommitCore::new))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("leader completeness");
  }
}
