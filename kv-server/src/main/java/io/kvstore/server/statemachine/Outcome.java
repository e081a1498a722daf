package io.kvstore.server.statemachine;

import io.kvstore.server.replica.CommandResult;

/** What applying one command produced: a result, or a refusal (the command changed nothing). */
public sealed interface Outcome {
  /** The command was applied now, or earlier (a retried write answered from the exactly-once table). */
  record Applied(CommandResult result, boolean duplicate) implements Outcome {}

  /** The command was not applied: e.g. its sequence is older than the results the shard keeps. */
  record Refused(RuntimeException error) implements Outcome {}
}
