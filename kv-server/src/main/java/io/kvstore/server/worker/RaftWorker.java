package io.kvstore.server.worker;

import io.kvstore.client.batching.Burst;
import io.kvstore.raft.proto.Message;
import io.kvstore.server.replica.ShardUnavailableException;
import io.kvstore.server.transport.RaftTransportClient;
import io.kvstore.storage.Durability;
import io.kvstore.storage.StoreBatch;
import io.kvstore.storage.StoreException;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.ReadView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multi-Raft worker loop: a single thread that drives a fixed set of groups (shard replicas). Raft
 * cores are not thread-safe, so a group is only ever touched by its worker's thread; other threads talk to
 * it through the worker's mailbox ({@link #deliver}, {@link #submit}, {@link #execute}), which wakes the
 * loop. A node runs one worker or a few ({@code ReplicaOptions.loopThreads}), each with its own groups.
 *
 * <p>One round, for all of the worker's groups at once:
 * <ol>
 *   <li>drain the mailbox: inbound messages ({@code step}), proposals, reads, control tasks; tick every
 *       group when the tick period passed; one ReadIndex request per group for the round's LINEARIZABLE
 *       reads and one for its LEASE reads (only those may be answered by the leader lease);</li>
 *   <li>collect every group's {@code Ready}; send the messages that may leave at once (a leader's appends
 *       go out while it writes them itself, Raft thesis §10.2.1), batched per peer node; stage snapshot
 *       chunks;</li>
 *   <li>apply every group's committed entries into one batch (data, exactly-once records and applied
 *       index together), written without fsync (the log it comes from is synced); then update the
 *       hot-value cache, complete the writes and serve the reads that waited for it (the answers of
 *       all groups leave together, a few callback-pool tasks per round). This comes
 *       <b>before</b> the round's fsync: a Ready's committed entries are committed on a quorum and
 *       already durable here (the core hands out only entries up to its stable index), so nothing they
 *       answer depends on this round's write, and a write's answer does not wait for the fsync of later
 *       entries (one fsync less per write on the leader). The answer may then reach the client before a
 *       follower applied the entry: a STALE read on a follower may not show a write just acknowledged,
 *       as STALE promises. The commit index itself is not stored (only term and vote are): a restart
 *       recovers it from the applied index ({@code Ready#hardState});</li>
 *   <li>install complete snapshots; <b>one</b> storage batch with every group's entries, hard state and
 *       due log compaction ({@link LogCompaction}, sooner when the node holds more applied log than its
 *       {@link LogRetention} budget), written with <b>one</b> fsync (group commit) when any group needs
 *       it;</li>
 *   <li>send the messages that had to wait for that fsync (votes, append acknowledgements: Raft §5.1);</li>
 *   <li>{@code advance} every group; a group whose follower needs a snapshot it does not hold pins one
 *       (its own synced write, rare).</li>
 * </ol>
 * A round without a tick visits only the groups that got mail or still had a Ready (see {@code touched}).
 * The loop sleeps until the next tick or until the mailbox gets work, unless a group already has its next
 * Ready (e.g. entries that became applicable when its log was persisted). Rounds batch naturally:
 * whatever arrives while a round is syncing is handled by the next one, with one fsync.
 *
 * <p>Pauses and the leader lease: a lease is counted in ticks, and a process that was stopped (SIGSTOP,
 * a long GC pause, a starved thread) did not tick, so on waking its leases would still look valid while
 * the other nodes may have elected new leaders. So the loop measures real time ({@code System.nanoTime})
 * since the last tick: when more than {@code maxClockDriftTicks} ticks went by without one, it voids the
 * lease of every group ({@code RawNode.expireLease}) before it handles any message or read of the round
 * (missed ticks are not fed in a burst: see {@code catchUpAfterPause}). It checks again once the round's
 * reads were asked for: a pause in between may have let a lease decide on a stale clock, so lease answers
 * of that round are asked again instead of served.
 */
public final class RaftWorker {
  private static final Logger log = LoggerFactory.getLogger(RaftWorker.class);
  /** Most mailbox items handled in one round, so ticks and fsyncs keep their pace under a flood. */
  private static final int MAX_MAIL_PER_ROUND = 20_000;
  /** Answers (completed writes and reads) run by one callback-pool task; see {@link #handOff}. */
  private static final int ANSWERS_PER_TASK = 64;

  private record Inbound(GroupReplica group, Message message) {}

  private record Propose(GroupReplica group, Proposal proposal) {}

  private record Read(GroupReplica group, ReadRequest read) {}

  private final String name;
  private final WorkerContext ctx;
  private final RaftTransportClient transport;
  private final List<GroupReplica> groups = new ArrayList<>();
  private final ConcurrentLinkedQueue<Object> mailbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger mailboxSize = new AtomicInteger();
  private final int mailboxCapacity;
  private final long tickNanos;
  /** More real time than this between two ticks voids the leases (the lease's drift margin). */
  private final long pauseGapNanos;
  /** Loop thread only: when the next tick is due, and when the groups last ticked. */
  private long nextTick;
  private long lastTickNanos;
  /**
   * Loop thread only: the groups a round without a tick visits, i.e. those that got mail in it or still
   * had a Ready after the previous one; a tick (or a control task, which may touch any group) visits all.
   * A node of 1,000 quiet shards then does work per message, not per shard.
   */
  private final Set<GroupReplica> touched = Collections.newSetFromMap(new IdentityHashMap<>());
  private boolean touchAll;
  private List<GroupReplica> carried = List.of();
  private volatile boolean running;
  private volatile boolean stopped;
  private volatile boolean signalled;
  private Thread thread;

  public RaftWorker(String name, WorkerContext ctx, RaftTransportClient transport, int mailboxCapacity) {
    this.name = name;
    this.ctx = ctx;
    this.transport = transport;
    this.mailboxCapacity = mailboxCapacity;
    this.tickNanos = ctx.options().tick().toNanos();
    this.pauseGapNanos = ctx.options().maxClockDriftTicks() * tickNanos;
  }

  /** Adds a group before {@link #start()}. */
  public void add(GroupReplica group) {
    if (running) {
      throw new IllegalStateException("groups are assigned before the worker starts");
    }
    groups.add(group);
  }

  /**
   * Adds a group to a worker that may be running (elastic membership: a replica created when the cluster
   * map names this node): on the loop thread, between rounds. Returns at once.
   */
  public void adopt(GroupReplica group) {
    if (!running) {
      add(group);
      return;
    }
    execute(() -> groups.add(group));
  }

  /**
   * Takes a group off this worker (its replica was removed from the shard): on the loop thread, between
   * rounds, the group leaves the worker's list, then {@code then} runs there (e.g. to drop its storage).
   * Mail already queued for the group finds it retired and is ignored. Returns at once.
   */
  public void release(GroupReplica group, Runnable then) {
    execute(() -> {
      groups.remove(group);
      then.run();
    });
  }

  public List<GroupReplica> groups() {
    return groups;
  }

  public synchronized void start() {
    running = true;
    thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  // ---------------------------------------------------------------- mailbox (any thread, never blocks)

  /** An inbound Raft message; false (dropped) when the mailbox is full or the worker stopped. */
  public boolean deliver(GroupReplica group, Message m) {
    if (stopped || mailboxSize.get() >= mailboxCapacity) {
      return false;
    }
    enqueue(new Inbound(group, m));
    return true;
  }

  /**
   * Queues a write for a group of this worker. The caller reserved a slot in the group's bound
   * ({@link GroupReplica#tryReserve}); the future completes as {@code ShardReplicas.propose} says.
   */
  public void propose(GroupReplica group, byte[] entry, CompletableFuture<CommandResult> future) {
    enqueue(new Propose(group, new Proposal(entry, future)));
  }

  /**
   * Queues a LINEARIZABLE or LEASE read for a group of this worker.
   *
   * @return false (nothing queued) when the mailbox is full: back-pressure for the caller
   */
  public boolean read(GroupReplica group, Consistency consistency, CompletableFuture<ReadView> future) {
    if (mailboxSize.get() >= mailboxCapacity) {
      return false;
    }
    enqueue(new Read(group, new ReadRequest(consistency, future)));
    return true;
  }

  /** Runs a task on the loop thread (between rounds' Readies: it may call any group's loop methods). */
  public void execute(Runnable task) {
    enqueue(task);
  }

  private void enqueue(Object item) {
    mailboxSize.incrementAndGet();
    mailbox.add(item);
    if (stopped) {
      // The loop is gone: fail what it will never take (a concurrent drain is harmless).
      drainAfterStop();
      return;
    }
    signalled = true;
    LockSupport.unpark(thread);
  }

  // ---------------------------------------------------------------- the loop

  private void loop() {
    lastTickNanos = System.nanoTime();
    nextTick = lastTickNanos + tickNanos;
    while (running) {
      long now = System.nanoTime();
      boolean tick = now - nextTick >= 0;
      if (tick) {
        nextTick = now - nextTick > 5 * tickNanos ? now + tickNanos : nextTick + tickNanos;
      }
      boolean more = false;
      try {
        more = round(tick);
      } catch (RuntimeException | Error e) {
        // A group left between ready() and advance() cannot be driven any more: stop those groups.
        log.error("{}: round failed", name, e);
        for (GroupReplica g : groups) {
          if (g.awaitingAdvance()) {
            g.fail(e);
          }
        }
      }
      while (running && !more && !signalled && mailbox.isEmpty()) {
        long wait = nextTick - System.nanoTime();
        if (wait <= 0) {
          break;
        }
        LockSupport.parkNanos(this, wait);
      }
      signalled = false;
    }
  }

  /**
   * Before anything else in a round: if real time ran on without ticks for longer than the drift margin
   * (see the class comment), void every group's lease. The ticks missed are not fed in a burst: fed
   * before the mailbox is drained, they made leaders step down (check-quorum) and followers campaign
   * while the answers and heartbeats that arrived during the gap sat unread in the mailbox, so a loaded
   * machine churned leaders. The timers simply resume (as etcd's ticker drops missed ticks); elections
   * only start later, which costs liveness, never safety, and the lease is what needed the gap.
   */
  private void catchUpAfterPause(boolean tickDue) {
    long now = System.nanoTime();
    long gap = now - lastTickNanos;
    if (gap <= pauseGapNanos) {
      return;
    }
    for (GroupReplica g : groups) {
      guard(g, () -> g.expireLease(false));
    }
    touchAll = true;
    log.debug("{}: {} ms without a tick (paused or starved?): leases voided", name, gap / 1_000_000);
    lastTickNanos = now;
  }

  /** One round (see the class comment); true when some group already has its next Ready. */
  boolean round(boolean tick) {
    catchUpAfterPause(tick);
    drainMailbox();
    List<GroupReplica> active;
    if (tick || touchAll) {
      active = groups;
    } else {
      touched.addAll(carried);
      active = new ArrayList<>(touched);
    }
    touched.clear();
    touchAll = false;
    if (tick) {
      for (GroupReplica g : groups) {
        guard(g, g::tick);
      }
      lastTickNanos = System.nanoTime();
    }
    for (GroupReplica g : active) {
      guard(g, g::flushReads);
    }
    if (System.nanoTime() - lastTickNanos > pauseGapNanos) {
      // Paused since the check above: a lease may have answered on a stale clock. Ask those again.
      for (GroupReplica g : groups) {
        guard(g, () -> g.expireLease(true));
      }
      active = groups;
    }
    List<GroupReplica> readies = new ArrayList<>();
    for (GroupReplica g : active) {
      try {
        if (g.collectReady()) {
          readies.add(g);
        }
      } catch (RuntimeException e) {
        g.fail(e);
      }
    }
    Outbox out = new Outbox();
    Set<Long> unreachable = new HashSet<>();
    for (GroupReplica g : new ArrayList<>(readies)) {
      if (!guard(g, () -> {
        g.sendMessages(out);
        g.stageChunks();
      })) {
        readies.remove(g);
      }
    }
    out.flush(transport, unreachable);

    long applyStart = System.nanoTime();
    StoreBatch applyBatch = ctx.store().newBatch();
    List<GroupReplica> changed = new ArrayList<>();
    try {
      for (GroupReplica g : new ArrayList<>(readies)) {
        boolean wrote;
        try {
          wrote = g.apply(applyBatch);
        } catch (GroupReplica.UndecodableEntryException undecodable) {
          g.fail(undecodable);
          readies.remove(g);
          continue;
        }
        if (wrote) {
          changed.add(g);
        }
      }
      for (GroupReplica g : changed) {
        ctx.cache().beginWrite(g.shardId());
      }
      if (applyBatch.isEmpty()) {
        applyBatch.close();
      } else {
        ctx.store().write(applyBatch, Durability.NO_SYNC);
      }
    } catch (RuntimeException e) {
      applyBatch.close();
      for (GroupReplica g : changed) {
        ctx.cache().endWrite(g.shardId(), java.util.Map.of());
      }
      storeFailed(e);
      return false;
    }
    List<Runnable> answers = new ArrayList<>();
    for (GroupReplica g : readies) {
      g.applied();
      g.drainCompletionsTo(answers);
    }
    handOff(answers);
    if (!changed.isEmpty()) {
      ctx.metrics().applyLatency.observe((System.nanoTime() - applyStart) / 1e9);
    }

    StoreBatch batch = ctx.store().newBatch();
    boolean sync = false;
    try {
      for (GroupReplica g : new ArrayList<>(readies)) {
        try {
          sync |= g.persist(batch);
        } catch (StoreException e) {
          throw e;
        } catch (RuntimeException e) {
          // Checked before anything of the group was added (a log rule broken, an install refused).
          g.fail(e);
          readies.remove(g);
        }
      }
      if (batch.isEmpty()) {
        batch.close();
      } else {
        long entries = batch.entryCount();
        int touched = batch.groupCount();
        long t0 = System.nanoTime();
        ctx.store().write(batch, sync ? Durability.SYNC : Durability.NO_SYNC);
        if (sync) {
          ctx.metrics().syncLatency.observe((System.nanoTime() - t0) / 1e9);
          ctx.metrics().batchEntries.observe(entries);
          ctx.metrics().batchGroups.observe(touched);
        }
      }
    } catch (RuntimeException e) {
      batch.close();
      storeFailed(e);
      return false;
    }

    for (GroupReplica g : readies) {
      g.sendPersistedMessages(out);
    }
    out.flush(transport, unreachable);

    for (GroupReplica g : readies) {
      guard(g, g::advance);
    }
    if (!unreachable.isEmpty()) {
      // Leaders stop pipelining to peers we could not send to, and probe them instead (etcd's
      // ReportUnreachable); a later successful send puts them back to replicating.
      for (GroupReplica g : groups) {
        guard(g, () -> g.reportUnreachable(unreachable));
      }
    }
    for (GroupReplica g : active) {
      g.flushCompletions();
    }
    List<GroupReplica> more = new ArrayList<>();
    for (GroupReplica g : readies) {
      if (g.hasReady()) {
        more.add(g);
      }
    }
    carried = more;
    return !more.isEmpty();
  }

  /**
   * Runs a round's answers on the callback pool: one task per {@link #ANSWERS_PER_TASK} answers rather
   * than one per group (each task is a wake-up of a pool thread, which cost more than the answers
   * themselves at low concurrency), while a big round still spreads over several threads.
   */
  private void handOff(List<Runnable> answers) {
    for (int from = 0; from < answers.size(); from += ANSWERS_PER_TASK) {
      List<Runnable> part = answers.subList(from, Math.min(answers.size(), from + ANSWERS_PER_TASK));
      // One burst: answers bound for one client's command stream leave in one message (Burst).
      ctx.callbacks().execute(() -> Burst.run(() -> part.forEach(Runnable::run)));
    }
  }

  private void drainMailbox() {
    for (int i = 0; i < MAX_MAIL_PER_ROUND; i++) {
      Object item = mailbox.poll();
      if (item == null) {
        return;
      }
      mailboxSize.decrementAndGet();
      if (item instanceof Inbound in) {
        touched.add(in.group());
        guard(in.group(), () -> in.group().step(in.message()));
      } else if (item instanceof Propose p) {
        touched.add(p.group());
        guard(p.group(), () -> p.group().propose(p.proposal()));
      } else if (item instanceof Read r) {
        touched.add(r.group());
        guard(r.group(), () -> r.group().read(r.read()));
      } else {
        touchAll = true;
        try {
          ((Runnable) item).run();
        } catch (RuntimeException e) {
          log.warn("{}: control task failed: {}", name, e.toString());
        }
      }
    }
    signalled = true;
  }

  /** Runs one group's step; a failure stops that group only (the others go on). */
  private static boolean guard(GroupReplica g, Runnable step) {
    try {
      step.run();
      return true;
    } catch (RuntimeException e) {
      g.fail(e);
      return false;
    }
  }

  /** A write the store refused: it refuses every later one too, so every group of this worker stops. */
  private void storeFailed(RuntimeException e) {
    log.error("{}: the store refused a write; stopping all its groups", name, e);
    StoreException cause = e instanceof StoreException se ? se
        : new StoreException(StoreException.Reason.FAILED, e.toString(), e);
    for (GroupReplica g : groups) {
      g.failAll(new ShardUnavailableException("shard " + g.shardId() + ": storage failure: " + cause.getMessage()));
      g.fail(cause);
    }
  }

  // ---------------------------------------------------------------- shutdown

  /** Stops the loop (waits for the current round), then fails everything still waiting. */
  public void stop() {
    running = false;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      LockSupport.unpark(t);
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stopped = true;
    drainAfterStop();
    ShardUnavailableException closing = new ShardUnavailableException("the node is shutting down");
    for (GroupReplica g : groups) {
      g.failAll(closing);
      g.close();
    }
  }

  private void drainAfterStop() {
    Object item;
    while ((item = mailbox.poll()) != null) {
      mailboxSize.decrementAndGet();
      ShardUnavailableException closing = new ShardUnavailableException("the node is shutting down");
      if (item instanceof Propose p) {
        p.group().outstanding.decrementAndGet();
        p.proposal().future.completeExceptionally(closing);
      } else if (item instanceof Read r) {
        r.read().future().completeExceptionally(closing);
      }
    }
  }
}
