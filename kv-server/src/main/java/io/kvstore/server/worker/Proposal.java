package io.kvstore.server.worker;

import io.kvstore.server.replica.CommandResult;
import java.util.concurrent.CompletableFuture;

/**
 * A write on its way through the loop: the encoded entry, the caller's future, and once proposed where it
 * landed in the log (Raft §5.3: it is ours if the entry applied at {@code index} has {@code term}).
 */
final class Proposal {
  final byte[] data;
  final CompletableFuture<CommandResult> future;
  final long createdNanos;
  long term;
  long index;
  /** Set when its entry applied, until the apply batch is written. */
  CommandResult result;

  Proposal(byte[] data, CompletableFuture<CommandResult> future) {
    this.data = data;
    this.future = future;
    this.createdNanos = System.nanoTime();
  }
}
