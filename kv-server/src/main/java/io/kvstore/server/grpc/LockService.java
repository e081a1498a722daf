package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockGrpc;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.LockReleaseResponse;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.grpc.KvStatuses.Kind;
import io.kvstore.server.grpc.LeaderCalls.Call;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.statemachine.LeaseTable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The public {@code kvstore.v1.Lock} service (lock.proto). Every operation is one entry in the lock's
 * shard log; the state machine keeps holder, FIFO queue and tokens. A blocking Acquire registers with the
 * node's {@link io.kvstore.server.lock.LockWaiters} before proposing, and answers when the entry that
 * hands it the lock is applied here (every replica applies it, so a leader change does not lose the
 * wake-up). At the call's deadline it proposes a Release for the lease, which dequeues it or, if the lock
 * was handed over meanwhile, releases it again: a caller that got DEADLINE_EXCEEDED does not hold it.
 */
public final class LockService extends LockGrpc.LockImplBase {
  /** How long before the caller's deadline a blocked Acquire gives up, to leave time to dequeue. */
  private static final long GIVE_UP_MARGIN_MILLIS = 50;

  private final LeaderCalls calls;

  public LockService(long selfId, LocalClusterMap map, ShardReplicas replicas, PeerChannels channels,
      Executor executor) {
    this.calls = new LeaderCalls(selfId, map, replicas, channels, executor);
  }

  @Override
  public void acquire(LockAcquireRequest r, StreamObserver<LockAcquireResponse> out) {
    Call call = Call.begin();
    if (!LeaderCalls.check(out, () -> validate(r.getHeader(), r.getName(), r.getLease()))) {
      return;
    }
    long shard = calls.shardOf(r.getName());
    CompletableFuture<Long> handed = r.getWait()
        ? calls.replicas.lockWaiters().register(shard, r.getName(), r.getLease())
        : null;
    CompletableFuture<LockAcquireResponse> f = LeaderCalls.start(
            () -> calls.replicas.propose(shard, new Command.LockAcquire(r)))
        .thenCompose(res -> {
          LockAcquireResponse resp = ((CommandResult.LockAcquire) res).response();
          if (resp.getAcquired() || handed == null) {
            return CompletableFuture.completedFuture(resp);
          }
          long wait = call.deadline().timeRemaining(TimeUnit.MILLISECONDS) - GIVE_UP_MARGIN_MILLIS;
          return handed.orTimeout(Math.max(1, wait), TimeUnit.MILLISECONDS)
              .thenApply(token -> LockAcquireResponse.newBuilder().setAcquired(true).setToken(token).build())
              .exceptionallyCompose(e -> giveUp(shard, r, e));
        })
        .thenApply(resp -> resp.toBuilder().setHeader(calls.header(shard)).build())
        .whenComplete((x, e) -> {
          if (handed != null) {
            calls.replicas.lockWaiters().unregister(shard, r.getName(), r.getLease(), handed);
          }
        })
        .exceptionallyCompose(e -> calls.orForward(call, shard, e, LockGrpc.getAcquireMethod(), r));
    calls.reply(call, f, out, Kind.WRITE);
  }

  /** The deadline passed while queued: leave the queue (or release a lock handed over just now). */
  private CompletableFuture<LockAcquireResponse> giveUp(long shard, LockAcquireRequest r, Throwable e) {
    if (!(KvStatuses.unwrap(e) instanceof TimeoutException)) {
      return CompletableFuture.failedFuture(e);
    }
    LockReleaseRequest release = LockReleaseRequest.newBuilder().setName(r.getName()).setLease(r.getLease()).build();
    LeaderCalls.start(() -> calls.replicas.propose(shard, new Command.LockRelease(release)));
    return CompletableFuture.failedFuture(Status.DEADLINE_EXCEEDED.withDescription("lock '"
        + r.getName().toStringUtf8() + "' was not handed to lease " + Long.toUnsignedString(r.getLease())
        + " before the deadline; the lease left the queue").asRuntimeException());
  }

  @Override
  public void release(LockReleaseRequest r, StreamObserver<LockReleaseResponse> out) {
    Call call = Call.begin();
    if (!LeaderCalls.check(out, () -> validate(r.getHeader(), r.getName(), r.getLease()))) {
      return;
    }
    long shard = calls.shardOf(r.getName());
    CompletableFuture<LockReleaseResponse> f = LeaderCalls.start(
            () -> calls.replicas.propose(shard, new Command.LockRelease(r)))
        .thenApply(res -> ((CommandResult.LockRelease) res).response().toBuilder()
            .setHeader(calls.header(shard)).build())
        .exceptionallyCompose(e -> calls.orForward(call, shard, e, LockGrpc.getReleaseMethod(), r));
    calls.reply(call, f, out, Kind.WRITE);
  }

  private void validate(RequestHeader header, ByteString name, long lease) {
    calls.checkHeader(header);
    if (name.isEmpty() || name.size() > 4096) {
      throw KvStatuses.invalidArgument("a lock name must be 1 to 4096 bytes, not " + name.size());
    }
    if (lease == 0) {
      throw KvStatuses.invalidArgument("a lock is held under a lease: set lease (lease.proto)");
    }
    long shard = calls.shardOf(name);
    if (LeaseTable.shardOf(lease) != shard) {
      throw KvStatuses.failedPrecondition("lock '" + name.toStringUtf8() + "' lives in shard " + shard
          + " but lease " + Long.toUnsignedString(lease) + " lives in shard " + LeaseTable.shardOf(lease)
          + "; grant the lease with the lock's name as its key");
    }
  }
}
