package io.kvstore.server.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.server.replica.Command;
import java.nio.ByteBuffer;

/**
 * The log-entry encoding of a {@link Command}: {@code format(1) tag(1) proposedAtMillis(8) request}, where
 * {@code request} is the public request message's protobuf bytes. The timestamp is the proposing leader's
 * wall clock; it is part of the log, so every replica sees the same one, and the exactly-once table expires
 * sessions by it deterministically (never by a replica's own clock).
 *
 * <p>An empty entry is the leader's no-op of a new term (Raft §8) and decodes to null.
 */
public final class EntryCodec {
  static final byte FORMAT = 1;
  static final byte PUT = 1;
  static final byte DELETE = 2;
  static final byte CAS = 3;
  static final byte TXN = 4;
  static final byte BATCH_PUT = 5;
  static final byte LEASE_GRANT = 6;
  static final byte LEASE_REVOKE = 7;
  static final byte LOCK_ACQUIRE = 8;
  static final byte LOCK_RELEASE = 9;
  private static final int HEADER = 10;

  private EntryCodec() {}

  /** A decoded entry: the command and when its leader proposed it. */
  public record Decoded(Command command, long proposedAtMillis) {}

  public static byte[] encode(Command command, long proposedAtMillis) {
    byte tag;
    byte[] body;
    if (command instanceof Command.Put p) {
      tag = PUT;
      body = p.request().toByteArray();
    } else if (command instanceof Command.Delete d) {
      tag = DELETE;
      body = d.request().toByteArray();
    } else if (command instanceof Command.CompareAndSwap c) {
      tag = CAS;
      body = c.request().toByteArray();
    } else if (command instanceof Command.Txn t) {
      tag = TXN;
      body = t.request().toByteArray();
    } else if (command instanceof Command.BatchPut b) {
      tag = BATCH_PUT;
      body = b.request().toByteArray();
    } else if (command instanceof Command.LeaseGrant g) {
      tag = LEASE_GRANT;
      body = g.request().toByteArray();
    } else if (command instanceof Command.LeaseRevoke r) {
      tag = LEASE_REVOKE;
      body = r.request().toByteArray();
    } else if (command instanceof Command.LockAcquire a) {
      tag = LOCK_ACQUIRE;
      body = a.request().toByteArray();
    } else {
      tag = LOCK_RELEASE;
      body = ((Command.LockRelease) command).request().toByteArray();
    }
    ByteBuffer out = ByteBuffer.allocate(HEADER + body.length);
    out.put(FORMAT).put(tag).putLong(proposedAtMillis).put(body);
    return out.array();
  }

  /**
   * Decodes an entry's data; null for an empty entry (a no-op).
   *
   * @throws IllegalStateException on bytes this code did not write (a corrupt or foreign log): the
   *     replica must stop rather than apply something it cannot read
   */
  public static Decoded decode(byte[] data) {
    if (data.length == 0) {
      return null;
    }
    if (data.length < HEADER || data[0] != FORMAT) {
      throw new IllegalStateException("undecodable log entry: " + data.length + " bytes, format "
          + (data.length > 0 ? data[0] : -1));
    }
    ByteBuffer in = ByteBuffer.wrap(data);
    in.get();
    byte tag = in.get();
    long at = in.getLong();
    try {
      Command c = switch (tag) {
        case PUT -> new Command.Put(PutRequest.parseFrom(in));
        case DELETE -> new Command.Delete(DeleteRequest.parseFrom(in));
        case CAS -> new Command.CompareAndSwap(CompareAndSwapRequest.parseFrom(in));
        case TXN -> new Command.Txn(TxnRequest.parseFrom(in));
        case BATCH_PUT -> new Command.BatchPut(BatchPutRequest.parseFrom(in));
        case LEASE_GRANT -> new Command.LeaseGrant(LeaseGrantRequest.parseFrom(in));
        case LEASE_REVOKE -> new Command.LeaseRevoke(LeaseRevokeRequest.parseFrom(in));
        case LOCK_ACQUIRE -> new Command.LockAcquire(LockAcquireRequest.parseFrom(in));
        case LOCK_RELEASE -> new Command.LockRelease(LockReleaseRequest.parseFrom(in));
        default -> throw new IllegalStateException("unknown command tag " + tag + " in a log entry");
      };
      return new Decoded(c, at);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable command in a log entry: " + e.getMessage(), e);
    }
  }
}
