package io.kvstore.bench.chaos;

import io.kvstore.bench.check.CheckResult;
import io.kvstore.bench.check.History;
import io.kvstore.bench.check.HistoryRecorder;
import io.kvstore.client.KvClient;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * What the clients of a chaos run do, and how their history is checked.
 *
 * <p>{@link #runClient} is called once per client, each on its own thread with its own {@link KvClient}
 * (its own client id, so exactly-once sequence numbers are per client); a client has at most one operation
 * in flight and records each one in the shared {@link HistoryRecorder} before sending it and when it ends.
 * Implementations are thread-safe.
 */
interface Workload {

  /** {@code register}, {@code set} or {@code lock}. */
  String name();

  /** Runs client {@code client}'s operations until {@code running} turns false. */
  void runClient(int client, KvClient kv, HistoryRecorder recorder, SplittableRandom random,
                 BooleanSupplier running) throws InterruptedException;

  /**
   * Runs after the faults are healed and the clients stopped, on a healthy cluster: final reads, if the
   * check needs them (at most {@code attempts} tries each).
   */
  void finish(int client, KvClient kv, HistoryRecorder recorder, int attempts) throws InterruptedException;

  /** Checks the history. */
  CheckResult check(History history);

  /** Operations issued so far (for progress lines). */
  long issued();

  /** Lines for {@code notes.jsonl} in the run folder: details the history format has no room for. */
  default java.util.List<String> notes() {
    return java.util.List.of();
  }

  /** Releases what the workload holds (connections). */
  default void close() {
  }
}
