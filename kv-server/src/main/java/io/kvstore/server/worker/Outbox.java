package io.kvstore.server.worker;

import io.kvstore.raft.proto.GroupMessage;
import io.kvstore.raft.proto.Message;
import io.kvstore.server.transport.RaftTransportClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The messages of one worker round, grouped per peer node, so each peer gets one batch per flush. */
final class Outbox {
  private final Map<Long, List<GroupMessage>> byPeer = new LinkedHashMap<>();

  void add(long toNode, long groupId, Message m) {
    byPeer.computeIfAbsent(toNode, n -> new ArrayList<>())
        .add(GroupMessage.newBuilder().setGroupId(groupId).setMessage(m).build());
  }

  /** Hands every peer's messages to the transport (which never blocks) and empties the outbox. */
  void flush(RaftTransportClient transport) {
    for (Map.Entry<Long, List<GroupMessage>> e : byPeer.entrySet()) {
      transport.send(e.getKey(), e.getValue());
    }
    byPeer.clear();
  }
}
