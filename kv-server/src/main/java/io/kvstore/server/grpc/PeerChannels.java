package io.kvstore.server.grpc;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * One gRPC channel per peer node for the calls the services make to other nodes (forwarded requests and
 * per-shard scans), each call marked with {@link ForwardingMarker}. Channels are created on first use from
 * the address in the cluster map and live until {@link #close}.
 *
 * <p>Thread-safe. Never blocks: channels connect lazily.
 */
public final class PeerChannels implements AutoCloseable {
  /** Large enough for a per-shard scan page of big values; the public limit is enforced elsewhere. */
  static final int MAX_INBOUND_BYTES = 80 << 20;

  private final long selfId;
  private final LongFunction<String> addressOf;
  private final Map<Long, Peer> peers = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record Peer(String address, ManagedChannel channel, Channel marked) {}

  public PeerChannels(long selfId, LongFunction<String> addressOf) {
    this.selfId = selfId;
    this.addressOf = addressOf;
  }

  /** The marked channel to a node, or null when the map has no address for it or this node is closing. */
  public Channel channelTo(long nodeId) {
    if (closed) {
      return null;
    }
    String address = addressOf.apply(nodeId);
    if (address == null || address.isEmpty()) {
      return null;
    }
    Peer peer =
        peers.compute(
            nodeId,
            (id, old) -> {
              if (old != null && old.address().equals(address)) {
                return old;
              }
              if (old != null) {
                old.channel().shutdown();
              }
              ManagedChannel ch =
                  NettyChannelBuilder.forTarget(address)
                      .usePlaintext()
                      .maxInboundMessageSize(MAX_INBOUND_BYTES)
                      .build();
              return new Peer(
                  address,
                  ch,
                  ClientInterceptors.intercept(
                      ch,
                      MetadataUtils.newAttachHeadersInterceptor(
                          ForwardingMarker.headersFrom(selfId))));
            });
    return peer.marked();
  }

  /**
   * Lets a channel that failed to connect try again at once rather than after its exponential backoff:
   * a restarted peer is reachable again as soon as it listens.
   */
  void resetBackoff(long nodeId) {
    Peer peer = peers.get(nodeId);
    if (peer != null) {
      peer.channel().resetConnectBackoff();
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Peer peer : peers.values()) {
      peer.channel().shutdownNow();
    }
    for (Peer peer : peers.values()) {
      try {
        peer.channel().awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    peers.clear();
  }
}
