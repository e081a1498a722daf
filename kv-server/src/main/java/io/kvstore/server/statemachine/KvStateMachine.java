package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.Fence;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseRevokeResponse;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.LockReleaseResponse;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnOpResult;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key-value state machine of one shard: applies committed commands, deterministically, so every
 * replica computes the same data and the same results from the same log (Raft §5.3, "state machine
 * safety").
 *
 * <p>Semantics (kv.proto): a write's version is the index of its entry; {@code create_version} is kept
 * across overwrites and reset by a delete. CompareAndSwap compares the value or the version
 * ({@code expected_version = 0}: the key must be absent). A Txn evaluates all comparisons, then runs one
 * branch in order; gets in a branch see the branch's earlier writes. A write carrying a client id goes
 * through the {@link SessionTable} first: a retry gets its original result and changes nothing.
 *
 * <p>Rounds: the worker applies many entries into one storage batch. Writes go to the {@link ShardWriter}
 * (invisible until the batch is written), so reads during the round go through an overlay of the round's
 * own writes first. {@link #takeChanges()} hands the overlay to the worker after the batch is written, to
 * update the hot-value cache.
 *
 * <p>Leases and locks (lease.proto, lock.proto) live in a {@link LeaseTable} and a {@link LockTable},
 * replicated like the data. A write with a lease attaches its key (and detaches it from any earlier
 * lease); a lease's revoke or expiry deletes its keys and releases its locks in the same entry. A fenced
 * write is checked against the lock's last token before anything is written, so the check and the write
 * are one atomic step (a refused write changes nothing, {@link RefusedException}).
 *
 * <p>Not thread-safe: one thread applies a shard.
 */
public final class KvStateMachine {
  /** Marks a key deleted in this round (in {@link #takeChanges()}). */
  public static final StoredValue TOMBSTONE = new StoredValue(ByteString.EMPTY, -1, -1);

  private final long shardId;
  private final ShardReader reader;
  private final SessionTable sessions;
  private final LeaseTable leases = new LeaseTable();
  private final LockTable locks = new LockTable();
  private List<LockTable.Grant> grants = new ArrayList<>();
  /** Every write and delete since the last takeChanges, in order, for watches (null value: a delete). */
  private List<io.kvstore.server.watch.ChangeLog.Change> events = new ArrayList<>();
  private Map<ByteString, StoredValue> overlay = new LinkedHashMap<>();

  public KvStateMachine(long shardId, ShardReader reader, SessionTable sessions) {
    this.shardId = shardId;
    this.reader = reader;
    this.sessions = sessions;
  }

  public SessionTable sessions() {
    return sessions;
  }

  /** The shard's leases; readable from any thread (see {@link LeaseTable}). */
  public LeaseTable leases() {
    return leases;
  }

  /** Replaces the leases and locks with the shard's stored records (start-up, snapshot install). */
  public void loadCoordination(Iterable<Map.Entry<byte[], byte[]>> records) {
    leases.load(records);
    locks.load(records);
  }

  /** A lock handed to a lease that waited for it, by an entry applied since the last call. */
  public record LockGrant(ByteString name, long lease, long token) {}

  /** The hand-offs since the last call (tell them to callers only once their batch is written). */
  public List<LockGrant> takeLockGrants() {
    if (grants.isEmpty()) {
      return List.of();
    }
    List<LockGrant> out = new ArrayList<>(grants.size());
    grants.forEach(g -> out.add(new LockGrant(g.name(), g.lease(), g.token())));
    grants = new ArrayList<>();
    return out;
  }

  /**
   * Applies the command of the entry at {@code index}.
   *
   * @param proposedAtMillis the leader's timestamp from the entry (drives session expiry)
   */
  public Outcome apply(long index, Command command, long proposedAtMillis, ShardWriter writer) {
    RequestHeader header = header(command);
    long client = header.getClientId();
    sessions.expire(proposedAtMillis, writer);
    if (client != 0) {
      SessionTable.Lookup seen = sessions.lookup(client, header.getSequence());
      if (seen instanceof SessionTable.Lookup.Duplicate d) {
        return new Outcome.Applied(d.result(), true);
      }
      if (seen instanceof SessionTable.Lookup.Superseded s) {
        // Not "retry later": no later attempt can tell whether this write was applied. The client must
        // find out by reading, and write anew (a new sequence) if it still wants the change.
        return new Outcome.Refused(new RefusedException(RefusedException.Reason.OUTCOME_UNKNOWN, "shard "
            + shardId + ": sequence " + header.getSequence() + " of client " + Long.toUnsignedString(client)
            + " is older than the exactly-once window of " + s.window() + " writes per client that the shard"
            + " remembers (results are kept only above sequence " + s.floor() + "): the outcome of that write"
            + " is unknown (it may have been applied) and it cannot be retried exactly-once; read the keys it"
            + " wrote to learn their state and send a new write (new sequence) if needed; keep fewer than "
            + s.window() + " writes in flight per shard (the Java client does)"));
      }
    }
    CommandResult result;
    try {
      result = dispatch(index, command, writer);
    } catch (RefusedException refused) {
      return new Outcome.Refused(refused);
    }
    if (client != 0) {
      sessions.record(client, header.getSequence(), result, index, proposedAtMillis, writer);
    }
    return new Outcome.Applied(result, false);
  }

  /** Every change since the last call, one per write or delete, in version order (for watches). */
  public List<io.kvstore.server.watch.ChangeLog.Change> takeEvents() {
    if (events.isEmpty()) {
      return List.of();
    }
    List<io.kvstore.server.watch.ChangeLog.Change> out = events;
    events = new ArrayList<>();
    return out;
  }

  /** The keys written since the last call, with their new value or {@link #TOMBSTONE}; resets the overlay. */
  public Map<ByteString, StoredValue> takeChanges() {
    if (overlay.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<ByteString, StoredValue> out = overlay;
    overlay = new LinkedHashMap<>();
    return out;
  }

  /** Forgets the overlay of a round whose batch was not written. */
  public void discardChanges() {
    overlay.clear();
    grants.clear();
    events.clear();
  }

  // ---------------------------------------------------------------- commands

  /** Applies one command; a {@link RefusedException} is thrown before anything is written. */
  private CommandResult dispatch(long index, Command command, ShardWriter writer) {
    if (command instanceof Command.Put p) {
      checkFence(p.request().hasFence() ? p.request().getFence() : null);
      checkLease(p.request().getLease(), p.request().getKey());
      return new CommandResult.Put(put(index, p.request(), writer));
    } else if (command instanceof Command.Delete d) {
      checkFence(d.request().hasFence() ? d.request().getFence() : null);
      return new CommandResult.Delete(delete(index, d.request(), writer));
    } else if (command instanceof Command.CompareAndSwap c) {
      return new CommandResult.CompareAndSwap(cas(index, c.request(), writer));
    } else if (command instanceof Command.Txn t) {
      checkFence(t.request().hasFence() ? t.request().getFence() : null);
      return new CommandResult.Txn(txn(index, t.request(), writer));
    } else if (command instanceof Command.BatchPut b) {
      return new CommandResult.BatchPut(batchPut(index, b.request(), writer));
    } else if (command instanceof Command.LeaseGrant g) {
      return new CommandResult.LeaseGrant(grant(index, g.request(), writer));
    } else if (command instanceof Command.LeaseRevoke r) {
      return new CommandResult.LeaseRevoke(revoke(index, r.request().getId(), writer));
    } else if (command instanceof Command.LockAcquire a) {
      return new CommandResult.LockAcquire(acquire(index, a.request(), writer));
    }
    return new CommandResult.LockRelease(release(index, ((Command.LockRelease) command).request(), writer));
  }

  private void checkFence(Fence fence) {
    if (fence == null) {
      return;
    }
    String why = locks.fenceRefusal(fence.getLock(), fence.getToken());
    if (why != null) {
      throw new RefusedException(RefusedException.Reason.FAILED_PRECONDITION, "shard " + shardId + ": " + why);
    }
  }

  private void checkLease(long lease, ByteString key) {
    if (lease == 0) {
      return;
    }
    if (LeaseTable.shardOf(lease) != shardId) {
      throw new RefusedException(RefusedException.Reason.FAILED_PRECONDITION, "key '" + key.toStringUtf8()
          + "' is in shard " + shardId + " but lease " + Long.toUnsignedString(lease) + " lives in shard "
          + LeaseTable.shardOf(lease) + "; grant the lease with a key of the same shard (a shared hash tag)");
    }
    if (leases.get(lease) == null) {
      throw new RefusedException(RefusedException.Reason.FAILED_PRECONDITION, "lease "
          + Long.toUnsignedString(lease) + " is unknown in shard " + shardId + " (expired or revoked); key '"
          + key.toStringUtf8() + "' not written");
    }
  }

  private LeaseGrantResponse grant(long index, LeaseGrantRequest r, ShardWriter w) {
    long id = LeaseTable.leaseId(shardId, index);
    leases.grant(id, r.getTtlMillis(), w);
    return LeaseGrantResponse.newBuilder().setId(id).setTtlMillis(r.getTtlMillis()).build();
  }

  /** Revoke or expiry: the keys go, the locks are handed on, all at this entry's index. */
  private LeaseRevokeResponse revoke(long index, long id, ShardWriter w) {
    if (leases.get(id) == null) {
      throw new RefusedException(RefusedException.Reason.NOT_FOUND, "lease " + Long.toUnsignedString(id)
          + " is unknown in shard " + shardId + " (never granted, expired or revoked)");
    }
    int deleted = 0;
    for (ByteString key : leases.remove(id, w)) {
      StoredValue cur = read(key);
      if (cur != null && cur.lease() == id) {
        w.delete(key.toByteArray());
        overlay.put(key, TOMBSTONE);
        events.add(new io.kvstore.server.watch.ChangeLog.Change(index, key, null));
        deleted++;
      }
    }
    locks.leaseGone(index, id, w, grants);
    return LeaseRevokeResponse.newBuilder().setKeysDeleted(deleted).setVersion(index).build();
  }

  private LockAcquireResponse acquire(long index, LockAcquireRequest r, ShardWriter w) {
    requireLease(r.getLease());
    LockTable.Acquired a = locks.acquire(index, r.getName(), r.getLease(), r.getWait(), w);
    return LockAcquireResponse.newBuilder().setAcquired(a.acquired()).setToken(a.token())
        .setHolderLease(a.acquired() ? 0 : a.holderLease()).build();
  }

  private LockReleaseResponse release(long index, LockReleaseRequest r, ShardWriter w) {
    boolean held = locks.release(index, r.getName(), r.getLease(), w, grants);
    return LockReleaseResponse.newBuilder().setReleased(held).setVersion(index).build();
  }

  private void requireLease(long lease) {
    if (leases.get(lease) == null) {
      throw new RefusedException(RefusedException.Reason.NOT_FOUND, "lease " + Long.toUnsignedString(lease)
          + " is unknown in shard " + shardId + " (never granted here, expired or revoked)");
    }
  }

  private PutResponse put(long index, PutRequest r, ShardWriter w) {
    StoredValue prev = read(r.getKey());
    write(r.getKey(), r.getValue(), index, prev, r.getLease(), w);
    PutResponse.Builder out = PutResponse.newBuilder().setVersion(index);
    if (r.getPrevKv() && prev != null) {
      out.setPrevKv(prev.toKeyValue(r.getKey(), false));
    }
    return out.build();
  }

  private DeleteResponse delete(long index, DeleteRequest r, ShardWriter w) {
    StoredValue prev = read(r.getKey());
    DeleteResponse.Builder out = DeleteResponse.newBuilder().setVersion(index).setDeleted(prev != null);
    if (prev != null) {
      remove(index, r.getKey(), prev, w);
      if (r.getPrevKv()) {
        out.setPrevKv(prev.toKeyValue(r.getKey(), false));
      }
    }
    return out.build();
  }

  private CompareAndSwapResponse cas(long index, CompareAndSwapRequest r, ShardWriter w) {
    StoredValue cur = read(r.getKey());
    boolean holds = switch (r.getExpectedCase()) {
      case EXPECTED_VALUE -> cur != null && cur.value().equals(r.getExpectedValue());
      case EXPECTED_VERSION -> r.getExpectedVersion() == 0 ? cur == null
          : cur != null && cur.version() == r.getExpectedVersion();
      case EXPECTED_NOT_SET -> false;
    };
    CompareAndSwapResponse.Builder out = CompareAndSwapResponse.newBuilder().setSucceeded(holds).setVersion(index);
    if (holds) {
      write(r.getKey(), r.getNewValue(), index, cur, 0, w);
    } else if (cur != null) {
      out.setCurrent(cur.toKeyValue(r.getKey(), false));
    }
    return out.build();
  }

  private TxnResponse txn(long index, TxnRequest r, ShardWriter w) {
    boolean holds = true;
    for (Compare c : r.getCompareList()) {
      if (!holds(c)) {
        holds = false;
        break;
      }
    }
    TxnResponse.Builder out = TxnResponse.newBuilder().setSucceeded(holds).setVersion(index);
    for (TxnOp op : holds ? r.getSuccessList() : r.getFailureList()) {
      TxnOpResult.Builder res = TxnOpResult.newBuilder();
      switch (op.getOpCase()) {
        case GET -> {
          StoredValue v = read(op.getGet().getKey());
          GetResponse.Builder g = GetResponse.newBuilder().setFound(v != null);
          if (v != null) {
            g.setKv(v.toKeyValue(op.getGet().getKey(), false));
          }
          res.setGet(g);
        }
        case PUT -> {
          StoredValue prev = read(op.getPut().getKey());
          write(op.getPut().getKey(), op.getPut().getValue(), index, prev, 0, w);
          res.setPut(PutResponse.newBuilder().setVersion(index));
        }
        case DELETE -> {
          StoredValue prev = read(op.getDelete().getKey());
          if (prev != null) {
            remove(index, op.getDelete().getKey(), prev, w);
          }
          res.setDelete(DeleteResponse.newBuilder().setVersion(index).setDeleted(prev != null));
        }
        case OP_NOT_SET -> {
          // The service refuses empty operations; an old or foreign one is answered with an empty result.
        }
      }
      out.addResults(res);
    }
    return out.build();
  }

  private boolean holds(Compare c) {
    StoredValue cur = read(c.getKey());
    int cmp;
    if (c.getTarget() == Compare.Target.TARGET_VERSION) {
      cmp = Long.compareUnsigned(cur == null ? 0 : cur.version(), c.getVersion());
    } else {
      if (cur == null) {
        // A missing key has no value: only NOT_EQUAL holds (kv.proto, Compare.Target).
        return c.getResult() == Compare.Result.RESULT_NOT_EQUAL;
      }
      cmp = ByteString.unsignedLexicographicalComparator().compare(cur.value(), c.getValue());
    }
    return switch (c.getResult()) {
      case RESULT_EQUAL -> cmp == 0;
      case RESULT_NOT_EQUAL -> cmp != 0;
      case RESULT_GREATER -> cmp > 0;
      case RESULT_LESS -> cmp < 0;
      case UNRECOGNIZED -> false;
    };
  }

  private BatchPutResponse batchPut(long index, BatchPutRequest r, ShardWriter w) {
    BatchPutResponse.Builder out = BatchPutResponse.newBuilder();
    for (KeyValue kv : r.getKvsList()) {
      write(kv.getKey(), kv.getValue(), index, read(kv.getKey()), 0, w);
      out.addVersions(index);
    }
    return out.build();
  }

  // ---------------------------------------------------------------- data access

  private StoredValue read(ByteString key) {
    StoredValue v = overlay.get(key);
    if (v != null) {
      return v == TOMBSTONE ? null : v;
    }
    return reader.get(key);
  }

  /** Writes a key; {@code lease} (0: none) replaces whatever lease the key had. */
  private void write(ByteString key, ByteString value, long index, StoredValue prev, long lease, ShardWriter w) {
    if (prev != null && prev.lease() != 0 && prev.lease() != lease) {
      leases.detach(prev.lease(), key, w);
    }
    if (lease != 0) {
      leases.attach(lease, key, w);
    }
    StoredValue v = new StoredValue(value, index, prev == null ? index : prev.createVersion(), lease);
    w.put(key.toByteArray(), v.encode());
    overlay.put(key, v);
    events.add(new io.kvstore.server.watch.ChangeLog.Change(index, key, v));
  }

  private void remove(long index, ByteString key, StoredValue prev, ShardWriter w) {
    if (prev != null && prev.lease() != 0) {
      leases.detach(prev.lease(), key, w);
    }
    w.delete(key.toByteArray());
    overlay.put(key, TOMBSTONE);
    events.add(new io.kvstore.server.watch.ChangeLog.Change(index, key, null));
  }

  private static RequestHeader header(Command c) {
    if (c instanceof Command.Put p) {
      return p.request().getHeader();
    } else if (c instanceof Command.Delete d) {
      return d.request().getHeader();
    } else if (c instanceof Command.CompareAndSwap s) {
      return s.request().getHeader();
    } else if (c instanceof Command.Txn t) {
      return t.request().getHeader();
    } else if (c instanceof Command.BatchPut b) {
      return b.request().getHeader();
    } else if (c instanceof Command.LeaseGrant g) {
      return g.request().getHeader();
    } else if (c instanceof Command.LeaseRevoke r) {
      return r.request().getHeader();
    } else if (c instanceof Command.LockAcquire a) {
      return a.request().getHeader();
    }
    return ((Command.LockRelease) c).request().getHeader();
  }
}
