package io.kvstore.server.statemachine;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.DeleteResponse;
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
import io.kvstore.server.replica.ResultUnknownException;
import java.util.Collections;
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
 * <p>Not thread-safe: one thread applies a shard.
 */
public final class KvStateMachine {
  /** Marks a key deleted in this round (in {@link #takeChanges()}). */
  public static final StoredValue TOMBSTONE = new StoredValue(ByteString.EMPTY, -1, -1);

  private final long shardId;
  private final ShardReader reader;
  private final SessionTable sessions;
  private Map<ByteString, StoredValue> overlay = new LinkedHashMap<>();

  public KvStateMachine(long shardId, ShardReader reader, SessionTable sessions) {
    this.shardId = shardId;
    this.reader = reader;
    this.sessions = sessions;
  }

  public SessionTable sessions() {
    return sessions;
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
        return new Outcome.Refused(new ResultUnknownException("shard " + shardId + ": sequence "
            + header.getSequence() + " of client " + Long.toUnsignedString(client)
            + " is not newer than " + s.floor() + ", the oldest whose result is kept; it was applied or"
            + " superseded and is not applied again"));
      }
    }
    CommandResult result;
    if (command instanceof Command.Put p) {
      result = new CommandResult.Put(put(index, p.request(), writer));
    } else if (command instanceof Command.Delete d) {
      result = new CommandResult.Delete(delete(index, d.request(), writer));
    } else if (command instanceof Command.CompareAndSwap c) {
      result = new CommandResult.CompareAndSwap(cas(index, c.request(), writer));
    } else if (command instanceof Command.Txn t) {
      result = new CommandResult.Txn(txn(index, t.request(), writer));
    } else {
      result = new CommandResult.BatchPut(batchPut(index, ((Command.BatchPut) command).request(), writer));
    }
    if (client != 0) {
      sessions.record(client, header.getSequence(), result, index, proposedAtMillis, writer);
    }
    return new Outcome.Applied(result, false);
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
  }

  // ---------------------------------------------------------------- commands

  private PutResponse put(long index, PutRequest r, ShardWriter w) {
    StoredValue prev = read(r.getKey());
    write(r.getKey(), r.getValue(), index, prev, w);
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
      remove(r.getKey(), w);
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
      write(r.getKey(), r.getNewValue(), index, cur, w);
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
          write(op.getPut().getKey(), op.getPut().getValue(), index, prev, w);
          res.setPut(PutResponse.newBuilder().setVersion(index));
        }
        case DELETE -> {
          StoredValue prev = read(op.getDelete().getKey());
          if (prev != null) {
            remove(op.getDelete().getKey(), w);
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
      write(kv.getKey(), kv.getValue(), index, read(kv.getKey()), w);
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

  private void write(ByteString key, ByteString value, long index, StoredValue prev, ShardWriter w) {
    StoredValue v = new StoredValue(value, index, prev == null ? index : prev.createVersion());
    w.put(key.toByteArray(), v.encode());
    overlay.put(key, v);
  }

  private void remove(ByteString key, ShardWriter w) {
    w.delete(key.toByteArray());
    overlay.put(key, TOMBSTONE);
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
    }
    return ((Command.BatchPut) c).request().getHeader();
  }
}
