package io.kvstore.server.worker;

import io.kvstore.proto.v1.Consistency;
import io.kvstore.server.replica.ReadView;
import java.util.concurrent.CompletableFuture;

/** A LINEARIZABLE or LEASE read waiting for its read index (Raft §6.4), then for the apply to reach it. */
record ReadRequest(Consistency consistency, CompletableFuture<ReadView> future) {}
