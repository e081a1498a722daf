package io.kvstore.server.worker;

import io.kvstore.raft.proto.GroupMessage;
import io.kvstore.raft.proto.Message;
import io.kvstore.server.transport.RaftTransportClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The messages of one worker round, grouped per peer node, so each peer gets one batch per flush. */
final class Outbox {
  private final Map<Long, List<GroupMessage>> byPeer = new LinkedHashMap<>();

  void add(long toNode, long groupId, Message m) {
    byPeer.computeIfAbsent(toNode, n -> new ArrayList<>())
        .add(GroupMessage.newBuilder().setGroupId(groupId).setMessage(m).build());
  }

  /**
   * Hands every peer's messages to the transport (which never blocks) and empties the outbox; adds the
   * peers whose messages were dropped to {@code unreachable}.
   */
  void flush(RaftTransportClient transport, Set<Long> unreachable) {
    for (Map.Entry<Long, List<GroupMessage>> e : byPeer.entrySet()) {
      if (!transport.send(e.getKey(), e.getValue())) {
        unreachable.add(e.getKey());
      }
    }
    byPeer.clear();
  }
}
