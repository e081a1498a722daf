package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Bad input is dropped or rejected and counted; it never throws and never corrupts the log. */
class BadInputTest {

  private static Message.Builder msg(MessageType type, long from, long to, long term) {
    return Message.newBuilder().setType(type).setFrom(from).setTo(to).setTerm(term);
  }

  @Test
  void eachKindOfBadMessageIsCountedAndHarmless() {
    SimCluster sim = SimCluster.withLeader(61, 3, SimCluster.defaults());
    SimNode leader = sim.leader();
    sim.commit(new byte[] {1});
    SimNode f = sim.nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
    long term = f.core().term;
    long last = f.core().log.lastIndex();
    long commit = f.core().log.committed;
    RaftMetrics m = f.core().metrics;

    f.node.step(msg(MessageType.MSG_APPEND, leader.id, 99, term).build()); // not for us
    f.node.step(msg(MessageType.MSG_APPEND, 0, f.id, term).build()); // no sender
    f.node.step(msg(MessageType.MSG_UNSPECIFIED, leader.id, f.id, term).build());
    assertThat(m.dropped(DropReason.MISADDRESSED)).isEqualTo(3);

    f.node.step(msg(MessageType.MSG_VOTE_RESP, leader.id, f.id, term - 1).build()); // stale term
    assertThat(m.dropped(DropReason.STALE_TERM)).isEqualTo(1);

    // Entries that are not contiguous, or whose terms exceed the message's.
    f.node.step(
        msg(MessageType.MSG_APPEND, leader.id, f.id, term)
            .setIndex(last)
            .setLogTerm(f.core().log.lastTerm())
            .addEntries(Entry.newBuilder().setIndex(last + 2).setTerm(term))
            .build());
    f.node.step(
        msg(MessageType.MSG_APPEND, leader.id, f.id, term)
            .setIndex(last)
            .setLogTerm(f.core().log.lastTerm())
            .addEntries(Entry.newBuilder().setIndex(last + 1).setTerm(term + 5))
            .build());
    assertThat(m.dropped(DropReason.MALFORMED)).isEqualTo(2);

    // A heartbeat claiming a commit beyond our log.
    f.node.step(msg(MessageType.MSG_HEARTBEAT, leader.id, f.id, term).setCommit(last + 100).build());
    assertThat(m.dropped(DropReason.OUT_OF_RANGE)).isEqualTo(1);

    // Snapshot chunks: no metadata; then a chunk in the middle of a transfer that never started.
    f.node.step(msg(MessageType.MSG_SNAPSHOT, leader.id, f.id, term).build());
    assertThat(m.dropped(DropReason.MALFORMED)).isEqualTo(3);
    SnapshotMetadata meta =
        SnapshotMetadata.newBuilder()
            .setIndex(last + 50)
            .setTerm(term)
            .setConfState(f.core().membership.toConfState())
            .build();
    f.node.step(
        msg(MessageType.MSG_SNAPSHOT, leader.id, f.id, term)
            .setSnapshot(SnapshotChunk.newBuilder().setMetadata(meta).setOffset(1000).setData(ByteString.copyFromUtf8("x")))
            .build());
    assertThat(m.dropped(DropReason.SNAPSHOT_CHUNK_OUT_OF_ORDER)).isEqualTo(1);

    // Responses that only a leader expects.
    f.node.step(msg(MessageType.MSG_APPEND_RESP, leader.id, f.id, term).setIndex(1).build());
    assertThat(m.dropped(DropReason.UNEXPECTED_FOR_ROLE)).isEqualTo(1);

    // A leader: responses from strangers, acknowledgements of entries it never had.
    RaftMetrics lm = leader.core().metrics;
    leader.node.step(msg(MessageType.MSG_APPEND_RESP, 77, leader.id, term).setIndex(1).build());
    assertThat(lm.dropped(DropReason.UNKNOWN_SENDER)).isEqualTo(1);
    leader.node.step(msg(MessageType.MSG_APPEND_RESP, f.id, leader.id, term).setIndex(1_000_000).build());
    assertThat(lm.dropped(DropReason.OUT_OF_RANGE)).isEqualTo(1);

    assertThat(f.core().log.lastIndex()).isEqualTo(last);
    assertThat(f.core().log.committed).isEqualTo(commit);
    sim.processAll();
    sim.commit(new byte[] {2}); // and the group still works
  }

  @Test
  void randomGarbageNeverThrowsAndSafetyHolds() {
    SimCluster sim = SimCluster.withLeader(62, 3, SimCluster.defaults());
    SplittableRandom rnd = new SplittableRandom(62);
    MessageType[] types = MessageType.values();
    for (int i = 0; i < 20_000; i++) {
      SimNode target = sim.node(1 + rnd.nextInt(3));
      long term = target.core().term;
      Message.Builder b =
          Message.newBuilder()
              .setTypeValue(types[rnd.nextInt(types.length - 1)].getNumber())
              .setFrom(rnd.nextInt(6))
              .setTo(rnd.nextInt(5) == 0 ? 9 : target.id)
              // stale or current terms: a forged future term would be a Byzantine leader, which Raft
              // does not claim to survive
              .setTerm(Math.max(0, term - rnd.nextInt(2)))
              .setIndex(rnd.nextInt(40))
              .setLogTerm(rnd.nextInt((int) term + 1))
              .setCommit(rnd.nextInt(60))
              .setReject(rnd.nextBoolean())
              .setRejectHint(rnd.nextInt(40))
              .setRound(rnd.nextInt(1000));
      if (b.getType() == MessageType.MSG_APPEND || b.getType() == MessageType.MSG_HEARTBEAT
          || b.getType() == MessageType.MSG_SNAPSHOT || b.getType() == MessageType.MSG_TIMEOUT_NOW) {
        b.setTerm(term - 1); // messages only a leader sends: never from an impostor in the same term
      }
      if (rnd.nextInt(4) == 0) {
        // uint64 fields beyond Long.MAX_VALUE arrive as negative longs
        b.setIndex(rnd.nextLong()).setCommit(rnd.nextLong()).setLogTerm(rnd.nextLong())
            .setRejectHint(rnd.nextLong()).setRejectTerm(rnd.nextLong()).setRound(rnd.nextLong());
      }
      if (b.getType() == MessageType.MSG_SNAPSHOT || b.getType() == MessageType.MSG_SNAPSHOT_RESP) {
        b.setSnapshot(
            SnapshotChunk.newBuilder()
                .setMetadata(
                    SnapshotMetadata.newBuilder()
                        .setIndex(rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(100))
                        .setTerm(rnd.nextInt((int) term + 1))
                        .setConfState(target.core().membership.toConfState()))
                .setOffset(rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(500))
                .setData(ByteString.copyFrom(new byte[rnd.nextInt(64)]))
                .setLast(rnd.nextBoolean()));
      }
      if (b.getType() == MessageType.MSG_APPEND && rnd.nextBoolean()) {
        for (int k = 0; k < 3; k++) {
          b.addEntries(Entry.newBuilder().setIndex(b.getIndex() + 1 + k).setTerm(rnd.nextInt((int) term + 1)));
        }
      }
      target.node.step(b.build());
      if (i % 100 == 0) {
        sim.step();
      }
    }
    sim.processAll();
    sim.settle(100);
    assertThat(sim.runUntil(() -> sim.leader() != null, 300)).isTrue();
    sim.commit(new byte[] {3});
  }
}
