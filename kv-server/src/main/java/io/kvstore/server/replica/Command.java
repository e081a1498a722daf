package io.kvstore.server.replica;

import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.TxnRequest;

/**
 * A write to one shard, as the services hand it to the replicas. The public request messages are the
 * command format: the state machine applies exactly what the client asked for, validated by the service
 * beforehand. How it is encoded into a log entry is the replicas' business.
 */
public sealed interface Command {
  record Put(PutRequest request) implements Command {}

  record Delete(DeleteRequest request) implements Command {}

  record CompareAndSwap(CompareAndSwapRequest request) implements Command {}

  record Txn(TxnRequest request) implements Command {}

  /** The entries of one batch that belong to one shard; written atomically by one log entry. */
  record BatchPut(BatchPutRequest request) implements Command {}

  /** Grants a lease in this shard (lease.proto); its id derives from the entry's index. */
  record LeaseGrant(LeaseGrantRequest request) implements Command {}

  /** Revokes a lease: a client's Revoke, or the expiry the shard's leader proposes (header without client). */
  record LeaseRevoke(LeaseRevokeRequest request) implements Command {}

  record LockAcquire(LockAcquireRequest request) implements Command {}

  record LockRelease(LockReleaseRequest request) implements Command {}
}
