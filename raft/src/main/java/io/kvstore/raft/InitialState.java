package io.kvstore.raft;

import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.HardState;

/**
 * What a restarting group reads from its storage: the last durable hard state and membership.
 *
 * <p>The core derives the membership itself from the snapshot's {@code conf_state} plus the conf-change
 * entries in the log (a change takes effect once it is in the log, thesis §4.1). {@code confState} is
 * used only when the storage has no snapshot (index 0), e.g. a static group bootstrapped without one; it
 * may be empty for a node that joins an existing group.
 */
public record InitialState(HardState hardState, ConfState confState) {}
