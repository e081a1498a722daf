package io.kvstore.bench.raft;

import io.kvstore.raft.Config;
import io.kvstore.raft.MemoryStorage;
import io.kvstore.raft.RawNode;
import io.kvstore.raft.Ready;
import io.kvstore.raft.Role;
import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.Message;
import java.util.ArrayDeque;

/**
 * One Raft group of {@code n} replicas in one thread, with a minimal driver: in-memory storage, a FIFO
 * "network", and an applied counter. Enough to measure the core's own cost.
 */
final class InProcessGroup {
  final RawNode[] nodes;
  final MemoryStorage[] storages;
  final long[] applied;
  private final ArrayDeque<Message> network = new ArrayDeque<>();
  long messages;

  InProcessGroup(int n, boolean quiesce, long seed) {
    ConfState.Builder cs = ConfState.newBuilder();
    for (long id = 1; id <= n; id++) {
      cs.addVoters(id);
    }
    nodes = new RawNode[n];
    storages = new MemoryStorage[n];
    applied = new long[n];
    for (int i = 0; i < n; i++) {
      storages[i] = MemoryStorage.bootstrap(cs.build());
      nodes[i] =
          new RawNode(
              Config.builder(i + 1)
                  .electionTick(10)
                  .heartbeatTick(1)
                  .quiesce(quiesce)
                  .maxInflightMsgs(64)
                  .randomSeed(seed * 31 + i)
                  .build(),
              storages[i]);
    }
  }

  /** Elects node 1 and replicates its first entry everywhere. */
  InProcessGroup elect() {
    nodes[0].campaign();
    drive();
    if (nodes[0].status().role() != Role.LEADER) {
      throw new IllegalStateException("node 1 was not elected");
    }
    return this;
  }

  RawNode leader() {
    return nodes[0];
  }

  /** Handles Readies and delivers messages until nothing moves. */
  void drive() {
    boolean progress = true;
    while (progress) {
      progress = false;
      for (int i = 0; i < nodes.length; i++) {
        while (nodes[i].hasReady()) {
          progress = true;
          Ready rd = nodes[i].ready();
          network.addAll(rd.messages());
          storages[i].persist(rd);
          network.addAll(rd.persistedMessages());
          if (!rd.committedEntries().isEmpty()) {
            applied[i] = rd.committedEntries().get(rd.committedEntries().size() - 1).getIndex();
          }
          nodes[i].advance(rd);
        }
      }
      while (!network.isEmpty()) {
        progress = true;
        Message m = network.poll();
        messages++;
        nodes[(int) m.getTo() - 1].step(m);
      }
    }
  }

  void tick() {
    for (RawNode n : nodes) {
      n.tick();
    }
    drive();
  }
}
