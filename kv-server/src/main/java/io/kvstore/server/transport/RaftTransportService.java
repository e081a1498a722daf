package io.kvstore.server.transport;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.raft.proto.GroupMessage;
import io.kvstore.raft.proto.RaftBatch;
import io.kvstore.raft.proto.RaftTransportGrpc;
import io.kvstore.raft.proto.SendSummary;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of {@code RaftTransport.Send}: one client stream per sending node, each
 * {@link RaftBatch} carrying many groups' messages, handed one by one to the {@link InboundRouter}.
 *
 * <p>Refusals: a batch whose cluster id differs from this node's, or that is addressed to another node id,
 * ends the stream with {@code FAILED_PRECONDITION} (the message says which ids differ); later batches on
 * it are ignored. A message for a group this node does not host, or that its worker cannot take now, is
 * dropped and counted. Nothing a peer sends (garbage bytes fail in gRPC's parser; odd field values fail
 * in the Raft core's checks) throws out of this class.
 *
 * <p>Threading: gRPC calls it on its own threads; it never blocks (the router enqueues).
 */
public final class RaftTransportService extends RaftTransportGrpc.RaftTransportImplBase {
  private static final Logger log = LoggerFactory.getLogger(RaftTransportService.class);

  private final java.util.function.LongConsumer onPeerStream;
  private final java.util.function.LongConsumer onHeard;
  private final String clusterId;
  private final long selfId;
  private final InboundRouter router;
  private final TransportStats stats;
  private final Set<StreamObserver<SendSummary>> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public RaftTransportService(String clusterId, long selfId, InboundRouter router, TransportStats stats) {
    this(clusterId, selfId, router, stats, peer -> {}, peer -> {});
  }

  /**
   * @param onPeerStream told the id of a peer whose stream was accepted (its first batch): the peer is
   *     alive, so our own stream to it need not wait out a reconnect backoff (see RaftTransportClient)
   * @param onHeard told the id of the sender of every accepted batch, empty ones (node heartbeats)
   *     included (see {@link PeerSilence})
   */
  public RaftTransportService(String clusterId, long selfId, InboundRouter router, TransportStats stats,
      java.util.function.LongConsumer onPeerStream, java.util.function.LongConsumer onHeard) {
    this.onPeerStream = onPeerStream;
    this.onHeard = onHeard;
    this.clusterId = clusterId;
    this.selfId = selfId;
    this.router = router;
    this.stats = stats;
  }

  /**
   * Ends every inbound stream with {@code UNAVAILABLE} and refuses new ones: the replicas behind it are
   * closing. Peers see their stream break and reconnect with backoff (to this node once it restarts).
   */
  public void close() {
    closed = true;
    for (StreamObserver<SendSummary> r : open) {
      try {
        synchronized (r) {
          r.onError(Status.UNAVAILABLE.withDescription("node " + Long.toUnsignedString(selfId)
            + " is stopping its replicas").asRuntimeException());
        }
      } catch (RuntimeException ignored) {
        // Already closed by the peer.
      }
    }
    open.clear();
  }

  @Override
  public StreamObserver<RaftBatch> send(StreamObserver<SendSummary> response) {
    if (closed) {
      response.onError(Status.UNAVAILABLE.withDescription("node " + Long.toUnsignedString(selfId)
          + " is not running its replicas").asRuntimeException());
      return new StreamObserver<>() {
        @Override
        public void onNext(RaftBatch value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    open.add(response);
    return new StreamObserver<>() {
      private long batches;
      private long messages;
      private long dropped;
      private boolean ended;

      @Override
      public void onNext(RaftBatch batch) {
        if (ended || closed) {
          return;
        }
        String refusal = refusal(batch);
        if (refusal != null) {
          ended = true;
          open.remove(response);
          stats.streamsRefused.increment();
          log.warn("refusing Raft stream from node {}: {}", Long.toUnsignedString(batch.getFromNode()), refusal);
          try {
            synchronized (response) {
              response.onError(Status.FAILED_PRECONDITION.withDescription(refusal).asRuntimeException());
            }
          } catch (RuntimeException alreadyClosed) {
            // The node closed the stream meanwhile.
          }
          return;
        }
        if (batches == 0) {
          onPeerStream.accept(batch.getFromNode());
        }
        batches++;
        stats.batchesReceived.increment();
        onHeard.accept(batch.getFromNode());
        for (GroupMessage gm : batch.getMessagesList()) {
          boolean taken;
          try {
            taken = gm.hasMessage() && router.deliver(gm.getGroupId(), gm.getMessage());
          } catch (RuntimeException e) {
            log.debug("dropping a message for group {}: {}", gm.getGroupId(), e.toString());
            taken = false;
          }
          if (taken) {
            messages++;
            stats.messagesReceived.increment();
          } else {
            dropped++;
            stats.messagesReceiveDropped.increment();
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        ended = true;
        open.remove(response);
      }

      @Override
      public void onCompleted() {
        if (ended || closed) {
          return;
        }
        ended = true;
        open.remove(response);
        try {
          synchronized (response) {
            response.onNext(SendSummary.newBuilder().setBatchesReceived(batches).setMessagesReceived(messages)
                .setMessagesDropped(dropped).build());
            response.onCompleted();
          }
        } catch (RuntimeException alreadyClosed) {
          // The node closed the stream meanwhile.
        }
      }
    };
  }

  private String refusal(RaftBatch batch) {
    if (!clusterId.equals(batch.getClusterId())) {
      return "cluster id mismatch: this node (" + Long.toUnsignedString(selfId) + ") belongs to cluster '"
          + clusterId + "', the batch from node " + Long.toUnsignedString(batch.getFromNode())
          + " names cluster '" + batch.getClusterId() + "'";
    }
    if (batch.getToNode() != selfId) {
      return "misaddressed batch: it is for node " + Long.toUnsignedString(batch.getToNode())
          + " but this is node " + Long.toUnsignedString(selfId) + " (stale address in the sender's map?)";
    }
    return null;
  }
}
