package io.kvstore.server.worker;

import io.kvstore.proto.v1.Consistency;
import io.kvstore.raft.NotLeaderException;
import io.kvstore.raft.RawNode;
import io.kvstore.raft.ReadState;
import io.kvstore.server.replica.ShardUnavailableException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The LINEARIZABLE and LEASE reads of one replica on their way through Raft §6.4: new this round, then
 * waiting for the ReadIndex answer (one request per round and kind, asked again now and then since Raft
 * may drop it), then waiting for the applied index to reach their read index. Loop thread only. A read
 * that fails is completed through {@code completions}, which the replica runs off the loop thread.
 */
final class PendingReads {
  /** Reads sharing one ReadIndex request. */
  private static final class Batch {
    final List<ReadRequest> reads;
    final long createdTick;
    /** Only CONSISTENCY_LEASE reads may be answered by the leader lease; LINEARIZABLE ones never. */
    final boolean allowLease;
    long askedTick;

    Batch(List<ReadRequest> reads, long createdTick, boolean allowLease) {
      this.reads = reads;
      this.createdTick = createdTick;
      this.allowLease = allowLease;
      this.askedTick = createdTick;
    }
  }

  private final long shardId;
  private final int readTimeoutTicks;
  /** A request unanswered for this many ticks is asked again (the request or its answer may be lost). */
  private final int retryTicks;
  private final List<Runnable> completions;
  private final List<ReadRequest> fresh = new ArrayList<>();
  private final Map<Long, Batch> awaitingIndex = new HashMap<>();
  private final TreeMap<Long, List<ReadRequest>> awaitingApply = new TreeMap<>();
  private long nextId = 1;
  /** Set by {@link #expireLease(boolean)}: lease answers in the next Ready are not trusted. */
  private boolean leaseAnswersSuspect;
  /** Set by {@link #endLeaseReads()} when the node closes: LEASE reads take a ReadIndex round from then on. */
  private boolean leaseReadsEnded;

  PendingReads(long shardId, int readTimeoutTicks, int heartbeatTicks, List<Runnable> completions) {
    this.shardId = shardId;
    this.readTimeoutTicks = readTimeoutTicks;
    this.retryTicks = Math.max(2, heartbeatTicks * 3);
    this.completions = completions;
  }

  void add(ReadRequest r) {
    fresh.add(r);
  }

  /**
   * One ReadIndex request for the LINEARIZABLE reads and one for the LEASE reads that arrived this round
   * (each kind shares one heartbeat round). Only the LEASE request lets the leader lease answer: the lease
   * rests on a clock assumption (bounded drift, no unnoticed pause), LINEARIZABLE promises more.
   */
  void flush(RawNode raw, long ticks, Supplier<RuntimeException> notLeader) {
    if (fresh.isEmpty()) {
      return;
    }
    List<ReadRequest> strict = new ArrayList<>();
    List<ReadRequest> lease = new ArrayList<>();
    for (ReadRequest r : fresh) {
      (r.consistency() == Consistency.CONSISTENCY_LEASE ? lease : strict).add(r);
    }
    fresh.clear();
    ask(raw, ticks, strict, false, notLeader);
    ask(raw, ticks, lease, !leaseReadsEnded, notLeader);
  }

  private void ask(RawNode raw, long ticks, List<ReadRequest> batch, boolean allowLease,
      Supplier<RuntimeException> notLeader) {
    if (batch.isEmpty()) {
      return;
    }
    long id = nextId++;
    try {
      raw.readIndex(context(id), allowLease);
      awaitingIndex.put(id, new Batch(batch, ticks, allowLease));
    } catch (NotLeaderException e) {
      failEach(batch, notLeader.get());
    }
  }

  /** Each tick: fail requests unanswered for the read timeout, ask again those unanswered for a while. */
  void onTick(RawNode raw, long ticks) {
    Iterator<Map.Entry<Long, Batch>> it = awaitingIndex.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Batch> e = it.next();
      Batch b = e.getValue();
      if (ticks - b.createdTick > readTimeoutTicks) {
        it.remove();
        failEach(b.reads, new ShardUnavailableException("shard " + shardId + ": no read index within "
            + readTimeoutTicks + " ticks (no reachable leader?)"));
      } else if (ticks - b.askedTick >= retryTicks) {
        b.askedTick = ticks;
        try {
          raw.readIndex(context(e.getKey()), b.allowLease);
        } catch (NotLeaderException notLeader) {
          // No leader known right now; the timeout above answers if none appears.
        }
      }
    }
  }

  /** The answers of a Ready: each batch now waits for the apply to reach its read index. */
  void answered(List<ReadState> states) {
    for (ReadState rs : states) {
      Batch b = awaitingIndex.remove(ByteBuffer.wrap(rs.context()).getLong());
      if (b != null && rs.lease() && leaseAnswersSuspect) {
        fresh.addAll(b.reads); // the lease may have been judged during a pause: ask again
      } else if (b != null) {
        awaitingApply.computeIfAbsent(rs.index(), i -> new ArrayList<>()).addAll(b.reads);
      }
    }
    leaseAnswersSuspect = false;
  }

  /** The reads whose read index {@code applied} reached, taken out (in read index order). */
  List<ReadRequest> servable(long applied) {
    if (awaitingApply.isEmpty() || awaitingApply.firstKey() > applied) {
      return List.of();
    }
    List<ReadRequest> out = new ArrayList<>();
    while (!awaitingApply.isEmpty() && awaitingApply.firstKey() <= applied) {
      out.addAll(awaitingApply.pollFirstEntry().getValue());
    }
    return out;
  }

  /** Raft drops read requests when leadership changes: answer those now instead of at the timeout. */
  void leadershipChanged() {
    RuntimeException retry =
        new ShardUnavailableException("shard " + shardId + ": leadership changed during the read; retry");
    awaitingIndex.values().forEach(b -> failEach(b.reads, retry));
    awaitingIndex.clear();
  }

  /** A lease decision may have been taken during a pause: the next lease answers are asked again. */
  void expireLease(boolean answersSuspect) {
    leaseAnswersSuspect |= answersSuspect;
  }

  /** From now on LEASE reads take a ReadIndex round (the node is closing its port). */
  void endLeaseReads() {
    leaseReadsEnded = true;
  }

  void failAll(RuntimeException error) {
    failEach(fresh, error);
    fresh.clear();
    awaitingIndex.values().forEach(b -> failEach(b.reads, error));
    awaitingIndex.clear();
    awaitingApply.values().forEach(l -> failEach(l, error));
    awaitingApply.clear();
  }

  private void failEach(List<ReadRequest> reads, RuntimeException error) {
    for (ReadRequest r : reads) {
      completions.add(() -> r.future().completeExceptionally(error));
    }
  }

  private static byte[] context(long id) {
    return ByteBuffer.allocate(8).putLong(id).array();
  }
}
