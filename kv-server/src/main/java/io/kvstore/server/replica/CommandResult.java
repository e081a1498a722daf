package io.kvstore.server.replica;

import io.kvstore.proto.v1.BatchPutResponse;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseRevokeResponse;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockReleaseResponse;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.TxnResponse;

/** What the state machine computed when it applied a {@link Command}, one type per command. */
public sealed interface CommandResult {
  record Put(PutResponse response) implements CommandResult {}

  record Delete(DeleteResponse response) implements CommandResult {}

  record CompareAndSwap(CompareAndSwapResponse response) implements CommandResult {}

  record Txn(TxnResponse response) implements CommandResult {}

  record BatchPut(BatchPutResponse response) implements CommandResult {}

  record LeaseGrant(LeaseGrantResponse response) implements CommandResult {}

  record LeaseRevoke(LeaseRevokeResponse response) implements CommandResult {}

  record LockAcquire(LockAcquireResponse response) implements CommandResult {}

  record LockRelease(LockReleaseResponse response) implements CommandResult {}
}
