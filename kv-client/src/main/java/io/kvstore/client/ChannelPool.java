package io.kvstore.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per node address, created on first use and reused by every call to that node, with
 * HTTP/2 keepalive so a dead connection is noticed between calls.
 *
 * <p>Thread-safe. {@link #close} shuts every channel down; a call on a closed pool throws
 * IllegalStateException.
 *
 * <p>Keepalive: a server refuses pings more frequent than its {@code permitKeepAliveTime} (grpc-java's
 * default: 5 minutes) with GOAWAY, so the default interval here is 5 minutes; lower it only for servers that
 * permit it.
 */
final class ChannelPool implements AutoCloseable {
  /** The largest answer accepted: a 64 MiB scan page or batch, or a large cluster map. */
  static final int MAX_INBOUND_BYTES = 96 << 20;

  /** The marker executor for "deliver answers on the transport thread" (a channel built directExecutor()). */
  static final Executor TRANSPORT_THREAD = new Executor() {
    @Override
    public void execute(Runnable r) {
      r.run();
    }

    @Override
    public String toString() {
      return "the transport thread";
    }
  };

  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Duration keepAliveTime;
  private final Duration keepAliveTimeout;
  /** Where answers are delivered; null means gRPC's default pool (see KvClientBuilder.callbackExecutor). */
  private final Executor callbackExecutor;
  private volatile boolean closed;

  ChannelPool(Duration keepAliveTime, Duration keepAliveTimeout, Executor callbackExecutor) {
    this.keepAliveTime = keepAliveTime;
    this.keepAliveTimeout = keepAliveTimeout;
    this.callbackExecutor = callbackExecutor;
  }

  /** The channel to {@code address} ({@code host:port}), created on first use. */
  ManagedChannel channel(String address) {
    if (closed) {
      throw new IllegalStateException("the client is closed");
    }
    ManagedChannel ch = channels.computeIfAbsent(address, this::open);
    if (closed) { // closed while opening: do not leak the new channel
      ch.shutdownNow();
      throw new IllegalStateException("the client is closed");
    }
    return ch;
  }

  private ManagedChannel open(String address) {
    Endpoint e = Endpoint.parse(address);
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(e.host(), e.port());
    if (callbackExecutor == TRANSPORT_THREAD) {
      b.directExecutor(); // gRPC skips its serializing queue only when told so this way
    } else if (callbackExecutor != null) {
      b.executor(callbackExecutor);
    }
    return b
        .usePlaintext()
        .keepAliveTime(keepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(keepAliveTimeout.toNanos(), TimeUnit.NANOSECONDS)
        // Calls carry deadlines and are retried by the client's own policy: no hidden retries in the channel.
        .disableRetry()
        // The cluster map of a large cluster outgrows gRPC's default 4 MiB (1,000 shards: about 12 MB).
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .build();
  }

  /** Number of channels open now. */
  int size() {
    return channels.size();
  }

  @Override
  public void close() {
    closed = true;
    for (ManagedChannel ch : channels.values()) {
      ch.shutdown();
    }
    for (ManagedChannel ch : channels.values()) {
      try {
        if (!ch.awaitTermination(2, TimeUnit.SECONDS)) {
          ch.shutdownNow();
        }
      } catch (InterruptedException e) {
        ch.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
  }
}
