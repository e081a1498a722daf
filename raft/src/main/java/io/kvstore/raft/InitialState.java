package io.kvstore.raft;

import io.kvstore.raft.proto.ConfState;
import io.kvstore.raft.proto.HardState;

/** What a restarting group reads from its storage: the last durable hard state and membership. */
public record InitialState(HardState hardState, ConfState confState) {}
