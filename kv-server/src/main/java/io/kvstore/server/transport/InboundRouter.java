package io.kvstore.server.transport;

import io.kvstore.raft.proto.Message;

/**
 * Where the transport hands inbound Raft messages: the worker that drives the message's group.
 *
 * <p>Contract: called from gRPC threads, concurrently; must not block (enqueue and return). Returns false
 * when the message was not taken (no such group on this node, or its inbox is full); the transport then
 * counts it as dropped. Raft tolerates the loss (Raft §5.5: messages are retried).
 */
@FunctionalInterface
public interface InboundRouter {
  boolean deliver(long groupId, Message message);
}
