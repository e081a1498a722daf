package io.kvstore.server.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseRevokeResponse;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockReleaseResponse;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.TxnResponse;
import io.kvstore.server.replica.CommandResult;
import java.util.Arrays;

/** How the exactly-once table keeps a write's result: {@code tag(1) response}, tags as in {@link EntryCodec}. */
final class ResultCodec {
  private ResultCodec() {}

  static byte[] encode(CommandResult result) {
    byte tag;
    byte[] body;
    if (result instanceof CommandResult.Put p) {
      tag = EntryCodec.PUT;
      body = p.response().toByteArray();
    } else if (result instanceof CommandResult.Delete d) {
      tag = EntryCodec.DELETE;
      body = d.response().toByteArray();
    } else if (result instanceof CommandResult.CompareAndSwap c) {
      tag = EntryCodec.CAS;
      body = c.response().toByteArray();
    } else if (result instanceof CommandResult.Txn t) {
      tag = EntryCodec.TXN;
      body = t.response().toByteArray();
    } else if (result instanceof CommandResult.BatchPut b) {
      tag = EntryCodec.BATCH_PUT;
      body = b.response().toByteArray();
    } else if (result instanceof CommandResult.LeaseGrant g) {
      tag = EntryCodec.LEASE_GRANT;
      body = g.response().toByteArray();
    } else if (result instanceof CommandResult.LeaseRevoke r) {
      tag = EntryCodec.LEASE_REVOKE;
      body = r.response().toByteArray();
    } else if (result instanceof CommandResult.LockAcquire a) {
      tag = EntryCodec.LOCK_ACQUIRE;
      body = a.response().toByteArray();
    } else {
      tag = EntryCodec.LOCK_RELEASE;
      body = ((CommandResult.LockRelease) result).response().toByteArray();
    }
    byte[] out = new byte[1 + body.length];
    out[0] = tag;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  static CommandResult decode(byte[] raw) {
    byte[] body = Arrays.copyOfRange(raw, 1, raw.length);
    try {
      return switch (raw[0]) {
        case EntryCodec.PUT -> new CommandResult.Put(PutResponse.parseFrom(body));
        case EntryCodec.DELETE -> new CommandResult.Delete(DeleteResponse.parseFrom(body));
        case EntryCodec.CAS -> new CommandResult.CompareAndSwap(CompareAndSwapResponse.parseFrom(body));
        case EntryCodec.TXN -> new CommandResult.Txn(TxnResponse.parseFrom(body));
        case EntryCodec.BATCH_PUT -> new CommandResult.BatchPut(BatchPutResponse.parseFrom(body));
        case EntryCodec.LEASE_GRANT -> new CommandResult.LeaseGrant(LeaseGrantResponse.parseFrom(body));
        case EntryCodec.LEASE_REVOKE -> new CommandResult.LeaseRevoke(LeaseRevokeResponse.parseFrom(body));
        case EntryCodec.LOCK_ACQUIRE -> new CommandResult.LockAcquire(LockAcquireResponse.parseFrom(body));
        case EntryCodec.LOCK_RELEASE -> new CommandResult.LockRelease(LockReleaseResponse.parseFrom(body));
        default -> throw new IllegalStateException("unknown result tag " + raw[0] + " in the exactly-once table");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable result in the exactly-once table", e);
    }
  }
}
