package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.raft.proto.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Log compaction and InstallSnapshot (Raft §7), streamed in chunks and resumable. */
class SnapshotTest {

  private static SimCluster laggingFollower(long seed, long lagging) {
    SimCluster sim = SimCluster.withLeader(seed, 3, SimCluster.defaults());
    if (sim.leader().id == lagging) {
      sim.leader().node.transferLeader(lagging == 1 ? 2 : 1);
      sim.runUntil(() -> sim.leader() != null && sim.leader().id != lagging, 100);
    }
    sim.crash(lagging);
    for (int i = 0; i < 40; i++) {
      sim.commit(new byte[] {(byte) i});
    }
    for (SimNode n : sim.nodes.values()) {
      if (n.alive()) {
        sim.takeSnapshot(n.id); // compacts the log: the lagging node can only catch up by snapshot
      }
    }
    return sim;
  }

  @Test
  void section7_laggingFollowerInstallsASnapshotSentInChunks() {
    SimCluster sim = laggingFollower(21, 3);
    SimNode leader = sim.leader();
    List<Long> offsets = new ArrayList<>();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_SNAPSHOT) {
            offsets.add(m.getSnapshot().getOffset());
          }
          return m;
        };
    sim.start(sim.node(3));
    long target = leader.core().log.lastIndex();
    assertThat(sim.runUntil(() -> sim.node(3).appliedIndex >= target, 300)).isTrue();
    assertThat(sim.snapshotsInstalled).isEqualTo(1);
    assertThat(offsets.size()).isGreaterThan(1); // several chunks
    assertThat(sim.node(3).snapData).isEqualTo(leader.snapData);
    assertThat(sim.node(3).digest).isEqualTo(leader.digest);
    sim.commit(new byte[] {99}); // and it replicates normally afterwards
  }

  @Test
  void aLostChunkIsResentFromTheLastAcknowledgedOffset() {
    SimCluster sim = laggingFollower(22, 3);
    SimNode leader = sim.leader();
    AtomicBoolean dropped = new AtomicBoolean();
    List<Long> offsets = new ArrayList<>();
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_SNAPSHOT) {
            offsets.add(m.getSnapshot().getOffset());
            if (m.getSnapshot().getOffset() > 0 && dropped.compareAndSet(false, true)) {
              return null; // lose the second chunk once
            }
          }
          return m;
        };
    sim.start(sim.node(3));
    long target = leader.core().log.lastIndex();
    assertThat(sim.runUntil(() -> sim.node(3).appliedIndex >= target, 300)).isTrue();
    assertThat(dropped).isTrue();
    long lost = offsets.stream().filter(o -> o > 0).findFirst().orElseThrow();
    // The lost chunk was sent again (after the retry timeout), not the whole snapshot from offset 0.
    assertThat(offsets.stream().filter(o -> o == lost).count()).isEqualTo(2);
    assertThat(offsets.stream().filter(o -> o == 0).count()).isEqualTo(1);
    assertThat(sim.node(3).digest).isEqualTo(leader.digest);
  }

  @Test
  void aFollowerRestartedMidTransferStartsOverAndStillInstalls() {
    SimCluster sim = laggingFollower(23, 3);
    SimNode leader = sim.leader();
    AtomicBoolean crashed = new AtomicBoolean();
    sim.start(sim.node(3));
    sim.filter =
        m -> {
          if (m.getType() == MessageType.MSG_SNAPSHOT && m.getSnapshot().getOffset() > 0
              && crashed.compareAndSet(false, true)) {
            return null;
          }
          return m;
        };
    assertThat(sim.runUntil(crashed::get, 100)).isTrue();
    sim.crash(3);
    sim.start(sim.node(3));
    long target = leader.core().log.lastIndex();
    assertThat(sim.runUntil(() -> sim.node(3).appliedIndex >= target, 300)).isTrue();
    assertThat(sim.node(3).digest).isEqualTo(leader.digest);
  }

  @Test
  void newerSnapshotOnTheLeaderRestartsTheTransfer() {
    SimCluster sim = laggingFollower(24, 3);
    SimNode leader = sim.leader();
    sim.start(sim.node(3));
    sim.step();
    sim.step();
    sim.commit(new byte[] {100});
    sim.takeSnapshot(leader.id); // the snapshot being streamed is replaced
    long target = leader.core().log.lastIndex();
    assertThat(sim.runUntil(() -> sim.node(3).appliedIndex >= target, 300)).isTrue();
    assertThat(sim.node(3).digest).isEqualTo(leader.digest);
  }
}
