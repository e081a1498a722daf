package io.kvstore.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.raft.Config;
import io.kvstore.raft.RawNode;
import io.kvstore.raft.Ready;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Entry;
import io.kvstore.raft.proto.EntryType;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raft module's real core ({@link RawNode}) driven on three real stores by a single-threaded driver
 * that follows the {@link Ready} contract with this module's API, as kv-server's worker loop will:
 * bootstrap, replication, group commit, apply, a lagging follower caught up by a streamed snapshot
 * ({@link NodeStore#compactAndSnapshot} on the leader, {@link IncomingSnapshot} and
 * {@link NodeStore#installSnapshot} on the follower), and restarts from disk.
 */
class RaftOnStoreTest {
  static final long GROUP = 10;
  static final ConfState VOTERS = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();

  @TempDir Path dir;
  final Replica[] replicas = new Replica[4];
  final ArrayDeque<Message> network = new ArrayDeque<>();
  final Set<Long> isolated = new HashSet<>();

  /** One node: its store, its Raft node, and the snapshots it sends or receives. */
  final class Replica {
    final long id;
    NodeStore store;
    RawNode node;
    ShardSnapshot pinned;
    IncomingSnapshot receiving;

    Replica(long id) {
      this.id = id;
      store = NodeStore.open(dir.resolve("n" + id), id, "raft", StorageOptions.small().withSnapshotChunkBytes(1024));
      if (!store.group(GROUP).exists()) {
        store.write(store.newBatch().bootstrap(GROUP, VOTERS), Durability.SYNC);
      }
      start();
    }

    void start() {
      GroupStorage g = store.group(GROUP);
      node = new RawNode(Config.builder(id).applied(g.appliedIndex()).build(), g);
    }

    void restart() {
      closeSnapshots();
      store.close();
      store = NodeStore.open(dir.resolve("n" + id), id, "raft", StorageOptions.small().withSnapshotChunkBytes(1024));
      start();
    }

    void closeSnapshots() {
      if (pinned != null) {
        pinned.close();
        pinned = null;
      }
      if (receiving != null) {
        receiving.close();
        receiving = null;
      }
    }

    /** One Ready, handled in the order its contract gives. */
    void handleReady() {
      Ready rd = node.ready();
      for (Message m : rd.messages()) {
        send(fillSnapshot(m));
      }
      for (SnapshotChunk c : rd.snapshotChunks()) {
        if (receiving == null || c.getOffset() == 0 || !receiving.metadata().equals(c.getMetadata())) {
          if (receiving != null) {
            receiving.close();
          }
          receiving = store.receiveSnapshot(GROUP, c.getMetadata());
        }
        receiving.accept(c);
      }
      if (rd.snapshot() != null) {
        assertThat(receiving.metadata()).isEqualTo(rd.snapshot());
        store.installSnapshot(receiving);
        receiving.close();
        receiving = null;
      }
      StoreBatch batch = store.newBatch().append(GROUP, rd.entries());
      if (rd.hardState() != null) {
        batch.setHardState(GROUP, rd.hardState());
      }
      store.write(batch, Durability.SYNC);
      rd.persistedMessages().forEach(RaftOnStoreTest.this::send);
      GroupStorage g = store.group(GROUP);
      StoreBatch apply = store.newBatch();
      Entry last = null;
      for (Entry e : rd.committedEntries()) {
        if (e.getIndex() <= g.appliedIndex()) {
          continue; // already in the installed snapshot
        }
        if (e.getType() == EntryType.ENTRY_NORMAL && !e.getData().isEmpty()) {
          String[] kv = e.getData().toStringUtf8().split("=", 2);
          apply.put(GROUP, kv[0].getBytes(StandardCharsets.UTF_8), kv[1].getBytes(StandardCharsets.UTF_8));
        }
        last = e;
      }
      if (last != null) {
        apply.setApplied(GROUP, last.getIndex(), last.getTerm());
      }
      store.write(apply, Durability.NO_SYNC);
      node.advance(rd);
    }

    /** The core asks for a chunk of its latest snapshot: fill the bytes from the pinned view. */
    Message fillSnapshot(Message m) {
      if (m.getType() != MessageType.MSG_SNAPSHOT) {
        return m;
      }
      SnapshotMetadata wanted = m.getSnapshot().getMetadata();
      if (pinned == null || !pinned.metadata().equals(wanted)) {
        node.reportSnapshotFailure(m.getTo());
        return null;
      }
      SnapshotChunk c = pinned.chunk(m.getSnapshot().getOffset());
      return m.toBuilder().setSnapshot(c).build();
    }

    /** The application snapshots at its applied index and compacts the log (RawNode's contract). */
    void snapshotAndCompact() {
      long applied = store.group(GROUP).appliedIndex();
      if (pinned != null) {
        pinned.close();
      }
      pinned = store.compactAndSnapshot(GROUP, node.snapshotMetadata(applied));
    }

    Map<String, String> data() {
      Map<String, String> out = new TreeMap<>();
      for (KeyValue kv : store.scan(GROUP, null, null, Integer.MAX_VALUE)) {
        out.put(new String(kv.key(), StandardCharsets.UTF_8), new String(kv.value(), StandardCharsets.UTF_8));
      }
      return out;
    }
  }

  void send(Message m) {
    if (m != null) {
      network.add(m);
    }
  }

  /** Runs ticks, deliveries and Readies until {@code done} or a bounded number of steps. */
  void runUntil(BooleanSupplier done, String what) {
    for (int step = 0; step < 5000; step++) {
      if (done.getAsBoolean()) {
        return;
      }
      for (int round = 0; round < 50 && (!network.isEmpty() || anyReady()); round++) {
        List<Message> now = new ArrayList<>(network);
        network.clear();
        for (Message m : now) {
          if (!isolated.contains(m.getFrom()) && !isolated.contains(m.getTo())) {
            replicas[(int) m.getTo()].node.step(m);
          }
        }
        for (int i = 1; i <= 3; i++) {
          if (replicas[i].node.hasReady()) {
            replicas[i].handleReady();
          }
        }
      }
      for (int i = 1; i <= 3; i++) {
        replicas[i].node.tick();
      }
    }
    throw new AssertionError("not reached in 5000 ticks: " + what);
  }

  boolean anyReady() {
    for (int i = 1; i <= 3; i++) {
      if (replicas[i].node.hasReady()) {
        return true;
      }
    }
    return false;
  }

  Replica leader() {
    for (int i = 1; i <= 3; i++) {
      if (replicas[i].node.status().role() == io.kvstore.raft.Role.LEADER && !isolated.contains((long) i)) {
        return replicas[i];
      }
    }
    return null;
  }

  /** Proposes k{from}..k{to-1} on the leader, ten at a time, each ten applied by the leader. */
  void propose(int from, int to) {
    for (int i = from; i < to; i++) {
      Replica l = leader();
      long index = l.node.propose(("k" + String.format("%04d", i) + "=v" + i).getBytes(StandardCharsets.UTF_8))
          .index();
      if (i % 10 == 9 || i == to - 1) {
        runUntil(() -> applied(l, index), "proposals applied by the leader");
      }
    }
  }

  boolean applied(Replica r, long index) {
    return r.store.group(GROUP).appliedIndex() >= index;
  }

  @AfterEach
  void close() {
    for (int i = 1; i <= 3; i++) {
      if (replicas[i] != null) {
        replicas[i].closeSnapshots();
        replicas[i].store.close();
      }
    }
  }

  @Test
  void aLaggingFollowerCatchesUpFromAStreamedSnapshotAndEveryoneSurvivesRestarts() {
    for (int i = 1; i <= 3; i++) {
      replicas[i] = new Replica(i);
    }
    replicas[1].node.campaign();
    runUntil(() -> leader() != null, "a leader");
    propose(0, 30);
    Replica l = leader();
    long afterFirst = l.store.group(GROUP).lastIndex();
    runUntil(() -> applied(replicas[1], afterFirst) && applied(replicas[2], afterFirst)
        && applied(replicas[3], afterFirst), "all applied the first proposals");

    // Replica 3 misses the next writes; the leader then compacts its log past them.
    Replica lagging = replicas[3] == l ? replicas[2] : replicas[3];
    isolated.add(lagging.id);
    propose(30, 200);
    long target = l.store.group(GROUP).lastIndex();
    runUntil(() -> applied(l, target), "the leader applied everything");
    l.snapshotAndCompact();
    assertThat(l.store.group(GROUP).firstIndex()).isGreaterThan(afterFirst + 1);
    assertThat(lagging.store.group(GROUP).lastIndex()).isLessThan(l.store.group(GROUP).firstIndex());

    isolated.clear();
    runUntil(() -> applied(lagging, target), "the lagging follower caught up through a snapshot");
    assertThat(lagging.store.group(GROUP).snapshotMetadata().getIndex())
        .as("it installed the leader's snapshot").isEqualTo(l.store.group(GROUP).snapshotMetadata().getIndex());
    propose(200, 230);
    long end = leader().store.group(GROUP).lastIndex();
    runUntil(() -> applied(replicas[1], end) && applied(replicas[2], end) && applied(replicas[3], end),
        "all applied everything");
    Map<String, String> expected = new TreeMap<>();
    for (int i = 0; i < 230; i++) {
      expected.put("k" + String.format("%04d", i), "v" + i);
    }
    for (int i = 1; i <= 3; i++) {
      assertThat(replicas[i].data()).as("replica %d", i).isEqualTo(expected);
    }

    // Every replica restarts from its store alone and the group goes on.
    for (int i = 1; i <= 3; i++) {
      replicas[i].restart();
    }
    runUntil(() -> leader() != null, "a leader after restart");
    propose(230, 240);
    long fin = leader().store.group(GROUP).lastIndex();
    runUntil(() -> applied(replicas[1], fin) && applied(replicas[2], fin) && applied(replicas[3], fin),
        "all applied after restart");
    expected.put("k0239", "v239");
    for (int i = 1; i <= 3; i++) {
      assertThat(replicas[i].data()).as("replica %d after restart", i).hasSize(240).containsAllEntriesOf(expected);
    }
  }
}
