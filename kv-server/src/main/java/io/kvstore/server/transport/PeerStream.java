package io.kvstore.server.transport;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.kvstore.raft.proto.RaftBatch;
import io.kvstore.raft.proto.RaftTransportGrpc;
import io.kvstore.raft.proto.SendSummary;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-lived {@code RaftTransport.Send} stream to one peer node, reopened with exponential backoff
 * after it breaks. While it is down, or while more than 4 MiB wait in gRPC's buffer without the stream
 * becoming ready, batches are dropped, never queued: Raft resends what matters (heartbeats, append retries, snapshot
 * chunk resume), and a dead peer must not make the worker loop wait or grow memory.
 *
 * <p>Thread-safe: {@link #send} may be called by several worker threads (serialized by this object's
 * lock, which is held only for a non-blocking {@code onNext}).
 */
final class PeerStream {
  private static final Logger log = LoggerFactory.getLogger(PeerStream.class);

  private static final long MAX_UNREADY_BYTES = 4L << 20;

  private final long peerId;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final TransportStats stats;
  private final PeerDownDetector detector;
  private ManagedChannel channel;
  private String address;
  private ClientCallStreamObserver<RaftBatch> stream;
  private long backoffNanos;
  /** Bytes handed to gRPC while it said "not ready"; bounded so a stalled peer cannot grow memory. */
  private long unreadyBytes;
  private long nextAttemptNanos;
  /** Set by {@link #retryNow}: a call that was already on its way and fails now must not back off long. */
  private boolean heardAlive;
  private boolean closed;

  PeerStream(long peerId, String address, Duration minBackoff, Duration maxBackoff, TransportStats stats,
      PeerDownDetector detector) {
    this.peerId = peerId;
    this.detector = detector;
    this.address = address;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.stats = stats;
    this.backoffNanos = minBackoff.toNanos();
  }

  /** Sends a batch if the stream is up and ready; returns false (dropped) otherwise. Never blocks. */
  synchronized boolean send(RaftBatch batch) {
    if (closed) {
      return false;
    }
    if (stream == null && !open()) {
      return false;
    }
    if (!stream.isReady()) {
      // gRPC buffers while the connection is being set up or the peer is slow; allow a little of that
      // (so the first messages to a peer are not lost), never an unbounded amount.
      if (unreadyBytes > MAX_UNREADY_BYTES) {
        return false;
      }
      unreadyBytes += batch.getSerializedSize();
    }
    try {
      stream.onNext(batch);
      return true;
    } catch (RuntimeException e) {
      // The call was cancelled under us; the response observer schedules the reconnect.
      return false;
    }
  }

  /** Points the stream at a new address (the peer moved); the current stream is closed. */
  synchronized void setAddress(String newAddress) {
    if (newAddress.equals(address)) {
      return;
    }
    address = newAddress;
    closeChannel();
    nextAttemptNanos = 0;
  }

  /** The peer is known to be up again: a broken stream reconnects at the next send, backoff reset. */
  synchronized void retryNow() {
    heardAlive = true;
    if (stream == null) {
      nextAttemptNanos = 0;
      backoffNanos = minBackoff.toNanos();
    }
    if (channel != null) {
      // gRPC's channel has a reconnect backoff of its own (growing to 2 minutes): calls on a channel in
      // TRANSIENT_FAILURE fail at once until it passes, whatever our own backoff says.
      channel.resetConnectBackoff();
    }
  }

  synchronized void close() {
    closed = true;
    closeChannel();
  }

  private boolean open() {
    long now = System.nanoTime();
    if (now - nextAttemptNanos < 0) {
      return false;
    }
    if (channel == null) {
      channel = NettyChannelBuilder.forTarget(address)
          .usePlaintext()
          .keepAliveTime(30, TimeUnit.SECONDS)
          .build();
    }
    // Until the call proves healthy, a failure backs off further.
    nextAttemptNanos = now + backoffNanos;
    stats.streamsOpened.increment();
    stream = (ClientCallStreamObserver<RaftBatch>) RaftTransportGrpc.newStub(channel)
        .send(new ClientResponseObserver<RaftBatch, SendSummary>() {
          private ClientCallStreamObserver<RaftBatch> call;

          @Override
          public void beforeStart(ClientCallStreamObserver<RaftBatch> requestStream) {
            call = requestStream;
            requestStream.setOnReadyHandler(() -> connected(call));
          }

          @Override
          public void onNext(SendSummary value) {}

          @Override
          public void onError(Throwable t) {
            broken(call, t.toString());
          }

          @Override
          public void onCompleted() {
            broken(call, "closed by the peer");
          }
        });
    return true;
  }

  private synchronized void connected(ClientCallStreamObserver<RaftBatch> call) {
    if (call == stream && call.isReady()) {
      backoffNanos = minBackoff.toNanos();
      unreadyBytes = 0;
      heardAlive = false;
      detector.up(peerId);
    }
  }

  private synchronized void broken(ClientCallStreamObserver<RaftBatch> call, String why) {
    if (call != stream) {
      return;
    }
    stream = null;
    unreadyBytes = 0;
    if (heardAlive) { // the peer is up (it connected to us): this failure is stale news, retry soon
      heardAlive = false;
      backoffNanos = minBackoff.toNanos();
    }
    nextAttemptNanos = System.nanoTime() + backoffNanos;
    log.debug("Raft stream to node {} at {} broke ({}); retrying in {} ms", Long.toUnsignedString(peerId),
        address, why, TimeUnit.NANOSECONDS.toMillis(backoffNanos));
    backoffNanos = Math.min(maxBackoff.toNanos(), backoffNanos * 2);
    // Broken because the peer died? A refused connect tells (and lets its followers elect at once).
    detector.suspect(peerId, address);
  }

  private void closeChannel() {
    if (stream != null) {
      try {
        stream.onCompleted();
      } catch (RuntimeException ignored) {
        // Already cancelled.
      }
      stream = null;
    }
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
  }
}
