package io.kvstore.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.Fence;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.proto.v1.LockAcquireRequest;
import io.kvstore.proto.v1.LockAcquireResponse;
import io.kvstore.proto.v1.LockReleaseRequest;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnPut;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Leases, locks and fences in the shard state machine: what every replica computes from the log. */
class LeaseLockStateMachineTest {
  private static final long SHARD = 7;
  private final MemoryShard shard = new MemoryShard();
  private KvStateMachine sm = new KvStateMachine(SHARD, shard, new SessionTable(SessionTable.Limits.defaults()));
  private long index;

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private Outcome apply(Command c) {
    MemoryShard.Batch batch = shard.new Batch();
    EntryCodec.Decoded d = EntryCodec.decode(EntryCodec.encode(c, 1_000));
    Outcome o = sm.apply(++index, d.command(), d.proposedAtMillis(), batch);
    batch.commit();
    sm.takeChanges();
    return o;
  }

  private static CommandResult result(Outcome o) {
    assertThat(o).isInstanceOf(Outcome.Applied.class);
    return ((Outcome.Applied) o).result();
  }

  private static RefusedException refusal(Outcome o) {
    assertThat(o).isInstanceOf(Outcome.Refused.class);
    return (RefusedException) ((Outcome.Refused) o).error();
  }

  private long grant(long ttl) {
    return ((CommandResult.LeaseGrant) result(apply(new Command.LeaseGrant(
        LeaseGrantRequest.newBuilder().setTtlMillis(ttl).setKey(b("k")).build())))).response().getId();
  }

  private Outcome put(String k, String v, long lease) {
    return apply(new Command.Put(PutRequest.newBuilder().setKey(b(k)).setValue(b(v)).setLease(lease).build()));
  }

  private Outcome fencedPut(String k, String v, String lock, long token) {
    return apply(new Command.Put(PutRequest.newBuilder().setKey(b(k)).setValue(b(v))
        .setFence(Fence.newBuilder().setLock(b(lock)).setToken(token)).build()));
  }

  private Outcome revoke(long lease) {
    return apply(new Command.LeaseRevoke(LeaseRevokeRequest.newBuilder().setId(lease).build()));
  }

  private LockAcquireResponse acquire(String name, long lease, boolean wait) {
    return ((CommandResult.LockAcquire) result(apply(new Command.LockAcquire(LockAcquireRequest.newBuilder()
        .setName(b(name)).setLease(lease).setWait(wait).build())))).response();
  }

  private Outcome release(String name, long lease) {
    return apply(new Command.LockRelease(LockReleaseRequest.newBuilder().setName(b(name)).setLease(lease).build()));
  }

  @Test
  void leaseIdsNameTheirShardAndTheGrantIndex() {
    long id = grant(5_000);
    assertThat(LeaseTable.shardOf(id)).isEqualTo(SHARD);
    assertThat(id & ((1L << LeaseTable.SHARD_SHIFT) - 1)).isEqualTo(index);
    assertThat(sm.leases().get(id).ttlMillis()).isEqualTo(5_000);
  }

  @Test
  void revokingALeaseDeletesExactlyTheKeysStillAttachedToIt() {
    long lease = grant(5_000);
    result(put("a", "1", lease));
    result(put("b", "2", lease));
    result(put("b", "2'", 0)); // rewritten without the lease: detached, survives
    result(put("c", "3", 0));
    assertThat(shard.get(b("a")).lease()).isEqualTo(lease);
    assertThat(sm.leases().get(lease).keys()).containsExactly(b("a"));

    var revoked = ((CommandResult.LeaseRevoke) result(revoke(lease))).response();

    assertThat(revoked.getKeysDeleted()).isEqualTo(1);
    assertThat(shard.get(b("a"))).isNull();
    assertThat(shard.get(b("b")).value()).isEqualTo(b("2'"));
    assertThat(shard.get(b("c"))).isNotNull();
    assertThat(sm.leases().get(lease)).isNull();
    assertThat(shard.system).isEmpty(); // no lease or attachment record left behind
  }

  @Test
  void aWriteWithAnUnknownOrForeignLeaseIsRefusedAndChangesNothing() {
    long lease = grant(5_000);
    result(revoke(lease));
    RefusedException unknown = refusal(put("a", "1", lease));
    assertThat(unknown.reason()).isEqualTo(RefusedException.Reason.FAILED_PRECONDITION);
    assertThat(unknown.getMessage()).contains("unknown").contains("'a'");
    long foreign = LeaseTable.leaseId(SHARD + 1, 3);
    assertThat(refusal(put("a", "1", foreign)).getMessage()).contains("'a'").contains("shard " + (SHARD + 1));
    assertThat(shard.data).isEmpty();
    assertThat(refusal(revoke(lease)).reason()).isEqualTo(RefusedException.Reason.NOT_FOUND);
  }

  @Test
  void locksAreHandedToWaitersInArrivalOrderWithGrowingTokens() {
    long a = grant(5_000);
    long b = grant(5_000);
    long c = grant(5_000);
    LockAcquireResponse first = acquire("L", a, true);
    assertThat(first.getAcquired()).isTrue();
    assertThat(first.getToken()).isEqualTo(index);
    assertThat(acquire("L", a, true).getToken()).as("re-acquire answers the same token").isEqualTo(first.getToken());
    assertThat(acquire("L", c, true).getAcquired()).isFalse();
    LockAcquireResponse queuedB = acquire("L", b, true);
    assertThat(queuedB.getAcquired()).isFalse();
    assertThat(queuedB.getHolderLease()).isEqualTo(a);
    assertThat(sm.takeLockGrants()).isEmpty();

    assertThat(((CommandResult.LockRelease) result(release("L", a))).response().getReleased()).isTrue();
    List<KvStateMachine.LockGrant> g1 = sm.takeLockGrants();
    assertThat(g1).containsExactly(new KvStateMachine.LockGrant(b("L"), c, index));

    result(revoke(c)); // the holder's lease expires: the lock goes to the next waiter
    List<KvStateMachine.LockGrant> g2 = sm.takeLockGrants();
    assertThat(g2).containsExactly(new KvStateMachine.LockGrant(b("L"), b, index));
    assertThat(g2.get(0).token()).isGreaterThan(g1.get(0).token()).isGreaterThan(first.getToken());
  }

  @Test
  void tryAcquireDoesNotQueueAndReleasingWhatOneDoesNotHoldIsRefused() {
    long a = grant(5_000);
    long b = grant(5_000);
    acquire("L", a, false);
    assertThat(acquire("L", b, false).getAcquired()).isFalse();
    RefusedException notHeld = refusal(release("L", b));
    assertThat(notHeld.reason()).isEqualTo(RefusedException.Reason.FAILED_PRECONDITION);
    assertThat(notHeld.getMessage()).contains("does not hold lock 'L'");
    result(release("L", a));
    assertThat(sm.takeLockGrants()).as("b never queued").isEmpty();
    assertThat(acquire("L", b, false).getAcquired()).isTrue();
  }

  @Test
  void aWaiterThatReleasesLeavesTheQueue() {
    long a = grant(5_000);
    long b = grant(5_000);
    acquire("L", a, true);
    acquire("L", b, true);
    assertThat(((CommandResult.LockRelease) result(release("L", b))).response().getReleased()).isFalse();
    result(release("L", a));
    assertThat(sm.takeLockGrants()).isEmpty();
  }

  @Test
  void acquiringUnderAnUnknownLeaseIsNotFound() {
    Outcome o = apply(new Command.LockAcquire(LockAcquireRequest.newBuilder().setName(b("L"))
        .setLease(LeaseTable.leaseId(SHARD, 99)).build()));
    assertThat(refusal(o).reason()).isEqualTo(RefusedException.Reason.NOT_FOUND);
    assertThat(shard.system).isEmpty();
  }

  @Test
  void aStaleFenceIsRefusedOnceANewerHolderExistsAndTheWriteChangesNothing() {
    long a = grant(5_000);
    long b = grant(5_000);
    long tokenA = acquire("L", a, true).getToken();
    result(fencedPut("guarded", "by-a", "L", tokenA));
    acquire("L", b, true);
    result(revoke(a)); // a paused past its TTL: b takes over
    long tokenB = sm.takeLockGrants().get(0).token();

    RefusedException stale = refusal(fencedPut("guarded", "late-a", "L", tokenA));
    assertThat(stale.reason()).isEqualTo(RefusedException.Reason.FAILED_PRECONDITION);
    assertThat(stale.getMessage()).contains("newer holder");
    RefusedException staleDelete = refusal(apply(new Command.Delete(DeleteRequest.newBuilder().setKey(b("guarded"))
        .setFence(Fence.newBuilder().setLock(b("L")).setToken(tokenA)).build())));
    assertThat(staleDelete.getMessage()).contains("newer holder");
    RefusedException staleTxn = refusal(apply(new Command.Txn(TxnRequest.newBuilder()
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(b("guarded")).setValue(b("txn-a"))))
        .setFence(Fence.newBuilder().setLock(b("L")).setToken(tokenA)).build())));
    assertThat(staleTxn.getMessage()).contains("newer holder");
    assertThat(shard.get(b("guarded")).value()).isEqualTo(b("by-a"));

    result(fencedPut("guarded", "by-b", "L", tokenB));
    assertThat(shard.get(b("guarded")).value()).isEqualTo(b("by-b"));
    assertThat(refusal(fencedPut("guarded", "x", "L", tokenB + 1)).getMessage()).contains("never issued");
    assertThat(refusal(fencedPut("guarded", "x", "nope", 1)).getMessage()).contains("unknown lock");
  }

  @Test
  void anExpiredHolderWithNoSuccessorStillPassesItsFence() {
    long a = grant(5_000);
    long tokenA = acquire("L", a, true).getToken();
    result(revoke(a));
    result(fencedPut("guarded", "v", "L", tokenA));
    long b = grant(5_000);
    acquire("L", b, true);
    assertThat(refusal(fencedPut("guarded", "w", "L", tokenA)).getMessage()).contains("newer holder");
  }

  @Test
  void leasesLocksAndTokensSurviveAReloadFromTheSystemRecords() {
    long a = grant(5_000);
    long b = grant(7_000);
    result(put("x", "1", a));
    long tokenA = acquire("L", a, true).getToken();
    acquire("L", b, true);

    sm = new KvStateMachine(SHARD, shard, new SessionTable(SessionTable.Limits.defaults()));
    sm.loadCoordination(shard.systemRecords());

    assertThat(sm.leases().get(a).keys()).containsExactly(b("x"));
    assertThat(sm.leases().get(b).ttlMillis()).isEqualTo(7_000);
    result(release("L", a));
    assertThat(sm.takeLockGrants()).extracting(KvStateMachine.LockGrant::lease).containsExactly(b);
    assertThat(refusal(fencedPut("g", "v", "L", tokenA)).getMessage()).contains("newer holder");
  }
}
