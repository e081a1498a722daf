package io.kvstore.server.transport;

import io.kvstore.raft.proto.GroupMessage;
import io.kvstore.raft.proto.RaftBatch;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The sending side of the node-to-node transport: one long-lived {@code RaftTransport.Send} stream per
 * peer node, carrying {@link RaftBatch}es that hold the messages of every group for that peer from one
 * worker round.
 *
 * <p>Contract: {@link #send} never blocks on the network and never throws for network reasons: a batch
 * for a peer whose stream is down, not yet connected, or whose send buffer is full is dropped and counted
 * (Raft tolerates message loss). Batches larger than {@code maxBatchBytes} are split (a single message is
 * never split). Thread-safe.
 */
public final class RaftTransportClient implements AutoCloseable {
  private final String clusterId;
  private final long selfId;
  private final long maxBatchBytes;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final TransportStats stats;
  private final Map<Long, String> addresses = new ConcurrentHashMap<>();
  private final Map<Long, PeerStream> peers = new ConcurrentHashMap<>();
  private final PeerDownDetector detector;
  private volatile boolean closed;

  /**
   * @param onPeerDown told (on a transport thread) the id of a peer whose stream broke and whose address
   *     then refused a connection: its process is gone (see {@link PeerDownDetector})
   */
  public RaftTransportClient(String clusterId, long selfId, Map<Long, String> peerAddresses, long maxBatchBytes,
      Duration minBackoff, Duration maxBackoff, TransportStats stats, LongConsumer onPeerDown) {
    this.clusterId = clusterId;
    this.detector = new PeerDownDetector(onPeerDown, stats);
    this.selfId = selfId;
    this.maxBatchBytes = maxBatchBytes;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.stats = stats;
    addresses.putAll(peerAddresses);
    addresses.remove(selfId);
  }

  /** Sets or changes a peer's address ({@code host:port}). */
  public void setAddress(long nodeId, String address) {
    if (nodeId == selfId) {
      return;
    }
    addresses.put(nodeId, address);
    PeerStream p = peers.get(nodeId);
    if (p != null) {
      p.setAddress(address);
    }
  }

  /**
   * Sends the messages (of any groups) to one peer, in order; see the class contract.
   *
   * @return false when some were dropped (the peer is unknown, down, or not keeping up)
   */
  public boolean send(long toNode, List<GroupMessage> messages) {
    if (messages.isEmpty()) {
      return true;
    }
    PeerStream peer = peer(toNode);
    if (peer == null) {
      stats.messagesSendDropped.add(messages.size());
      return false;
    }
    boolean all = true;
    RaftBatch.Builder b = newBatch(toNode);
    long bytes = 0;
    for (GroupMessage m : messages) {
      long size = m.getSerializedSize();
      if (b.getMessagesCount() > 0 && bytes + size > maxBatchBytes) {
        all &= flush(peer, b);
        b = newBatch(toNode);
        bytes = 0;
      }
      b.addMessages(m);
      bytes += size;
    }
    return flush(peer, b) && all;
  }

  /**
   * Sends one empty batch to every known peer: the node-level heartbeat that tells peers this node is
   * alive while its groups are quiet (see {@link PeerSilence}). Never blocks; a peer that is down misses it.
   */
  public void heartbeat() {
    for (long nodeId : addresses.keySet()) {
      PeerStream peer = peer(nodeId);
      if (peer != null && peer.send(newBatch(nodeId).build())) {
        stats.heartbeatsSent.increment();
      }
    }
  }

  /** The peer nodes this client knows an address for. */
  public java.util.Set<Long> peers() {
    return java.util.Collections.unmodifiableSet(addresses.keySet());
  }

  /**
   * {@code nodeId} just opened a stream to us, so it is up: if our stream to it is down and waiting out
   * its reconnect backoff (the peer was down a while), reconnect at the next send instead. Without this,
   * a restarted node stayed unreachable from its peers for up to the backoff's cap, and a new leader
   * that needed it for a quorum waited that long.
   */
  public void peerAlive(long nodeId) {
    PeerStream p = peers.get(nodeId);
    if (p != null) {
      p.retryNow();
    }
    detector.up(nodeId);
  }

  public TransportStats stats() {
    return stats;
  }

  @Override
  public void close() {
    closed = true;
    peers.values().forEach(PeerStream::close);
    peers.clear();
    detector.close();
  }

  private boolean flush(PeerStream peer, RaftBatch.Builder b) {
    int n = b.getMessagesCount();
    if (peer.send(b.build())) {
      stats.batchesSent.increment();
      stats.messagesSent.add(n);
      return true;
    }
    stats.messagesSendDropped.add(n);
    return false;
  }

  private RaftBatch.Builder newBatch(long toNode) {
    return RaftBatch.newBuilder().setClusterId(clusterId).setFromNode(selfId).setToNode(toNode);
  }

  private PeerStream peer(long nodeId) {
    if (closed) {
      return null;
    }
    PeerStream p = peers.get(nodeId);
    if (p != null) {
      return p;
    }
    String address = addresses.get(nodeId);
    if (address == null) {
      return null;
    }
    return peers.computeIfAbsent(nodeId, id -> new PeerStream(id, address, minBackoff, maxBackoff, stats, detector));
  }
}
