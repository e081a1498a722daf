package io.kvstore.bench.load;

import com.google.protobuf.ByteString;
import io.kvstore.client.Endpoint;
import io.kvstore.client.KvClient;
import io.kvstore.client.KvClientBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Drives kvstore through its routing Java client ({@link KvClient}): keys hashed on the client, each request
 * sent straight to its shard's leader over one channel per node, retries under the client's one policy.
 * This is how a Java application uses the store, and it saves the forwarding hop of {@link GrpcStoreDriver}.
 */
public final class RoutingClientDriver implements KvDriver {
  private final KvClient client;
  private final int seeds;

  public RoutingClientDriver(List<Endpoint> seeds, Duration requestDeadline) {
    // The generator's callbacks only record a latency and issue the next request, so answers are taken on
    // the connection's thread: a thread hand-off per call would cost the generator CPU the stores need.
    this.client = KvClient.builder().seeds(seeds).deadline(requestDeadline)
        .callbackExecutor(KvClientBuilder.TRANSPORT_THREAD).build();
    this.seeds = seeds.size();
  }

  @Override
  public CompletableFuture<Long> get(ByteString key, ReadConsistency consistency) {
    return client.get(key, GrpcStoreDriver.toProto(consistency))
        .thenApply(r -> r.getFound() ? r.getKv().getVersion() : 0L);
  }

  @Override
  public CompletableFuture<Long> put(ByteString key, ByteString value) {
    return client.put(key, value).thenApply(r -> r.getVersion());
  }

  @Override
  public CompletableFuture<CasResult> compareAndSwap(ByteString key, long expectedVersion, ByteString value) {
    return client.compareAndSwapVersion(key, expectedVersion, value)
        .thenApply(r -> new CasResult(
            r.getSucceeded(),
            r.getSucceeded() ? r.getVersion() : r.hasCurrent() ? r.getCurrent().getVersion() : 0L));
  }

  @Override
  public String storeName() {
    return "kvstore";
  }

  @Override
  public String describe() {
    return "kv-client KvClient (routing: straight to the shard leader), seeds: " + seeds + " nodes";
  }

  @Override
  public void close() {
    client.close();
  }
}
