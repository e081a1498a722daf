package io.kvstore.bench.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.kvstore.bench.load.CasResult;
import io.kvstore.bench.load.KvDriver;
import io.kvstore.bench.load.ReadConsistency;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Drives etcd through jetcd, the Java etcd client: one {@link Client} with one connection per member,
 * requests balanced round-robin over the members (followers forward writes to the leader, as kvstore's
 * nodes do).
 *
 * <p>Mappings: a read is a range request for one key, linearizable unless STALE is asked for, which maps to
 * etcd's serializable read; etcd has no lease read, so LEASE runs as linearizable. A version is the key's
 * mod revision. A compare-and-swap is a Txn: if mod_revision == expected then put else get (one round trip,
 * like kvstore's CompareAndSwap that returns the current version on failure).
 */
public final class JetcdDriver implements KvDriver {
  private final Client client;
  private final KV kv;
  private final int members;
  private final long deadlineMillis;
  private static final GetOption LINEARIZABLE = GetOption.newBuilder().build();
  private static final GetOption SERIALIZABLE = GetOption.newBuilder().withSerializable(true).build();

  public JetcdDriver(List<URI> endpoints, Duration requestDeadline) {
    this.client = Client.builder()
        .endpoints(endpoints.toArray(URI[]::new))
        .loadBalancerPolicy("round_robin")
        .build();
    this.kv = client.getKVClient();
    this.members = endpoints.size();
    this.deadlineMillis = requestDeadline.toMillis();
  }

  @Override
  public CompletableFuture<Long> get(ByteString key, ReadConsistency consistency) {
    GetOption option = consistency == ReadConsistency.STALE ? SERIALIZABLE : LINEARIZABLE;
    return bounded(kv.get(ByteSequence.from(key), option).thenApply(JetcdDriver::version));
  }

  @Override
  public CompletableFuture<Long> put(ByteString key, ByteString value) {
    return bounded(kv.put(ByteSequence.from(key), ByteSequence.from(value))
        .thenApply(r -> r.getHeader().getRevision()));
  }

  @Override
  public CompletableFuture<CasResult> compareAndSwap(ByteString key, long expectedVersion, ByteString value) {
    ByteSequence k = ByteSequence.from(key);
    return bounded(kv.txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedVersion)))
        .Then(Op.put(k, ByteSequence.from(value), PutOption.DEFAULT))
        .Else(Op.get(k, GetOption.DEFAULT))
        .commit()
        .thenApply(r -> r.isSucceeded()
            ? new CasResult(true, r.getHeader().getRevision())
            : new CasResult(false, r.getGetResponses().isEmpty() ? 0 : version(r.getGetResponses().get(0)))));
  }

  private <T> CompletableFuture<T> bounded(CompletableFuture<T> f) {
    return f.orTimeout(deadlineMillis, TimeUnit.MILLISECONDS);
  }

  private static long version(GetResponse r) {
    return r.getKvs().isEmpty() ? 0 : r.getKvs().get(0).getModRevision();
  }

  @Override
  public String storeName() {
    return "etcd";
  }

  @Override
  public String describe() {
    return "jetcd 0.8.7, round-robin over " + members + " members; reads: linearizable (stale = serializable,"
        + " lease = linearizable); CAS = Txn on mod_revision";
  }

  @Override
  public void close() {
    client.close();
  }
}
