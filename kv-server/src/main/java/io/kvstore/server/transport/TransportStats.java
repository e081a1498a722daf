package io.kvstore.server.transport;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the node-to-node transport, both directions; exported as metrics. Thread-safe. */
public final class TransportStats {
  final LongAdder batchesSent = new LongAdder();
  final LongAdder messagesSent = new LongAdder();
  /** Outbound messages dropped: peer unknown, stream down or not ready (back-pressure). */
  final LongAdder messagesSendDropped = new LongAdder();
  final LongAdder streamsOpened = new LongAdder();
  final LongAdder batchesReceived = new LongAdder();
  final LongAdder messagesReceived = new LongAdder();
  /** Inbound messages dropped: unknown group, full inbox, malformed. */
  final LongAdder messagesReceiveDropped = new LongAdder();
  /** Inbound streams refused: wrong cluster id or addressed to another node. */
  final LongAdder streamsRefused = new LongAdder();
  /** Peers whose stream broke and whose port then refused a connection (process gone). */
  final LongAdder peersReportedDown = new LongAdder();
  /** Node-level heartbeats sent (empty batches, one per peer and tick; see PeerSilence). */
  final LongAdder heartbeatsSent = new LongAdder();
  /** Peers that fell silent (nothing heard for the threshold) and were reported to the quiet groups. */
  final LongAdder peersReportedSilent = new LongAdder();

  public long batchesSent() {
    return batchesSent.sum();
  }

  public long messagesSent() {
    return messagesSent.sum();
  }

  public long messagesSendDropped() {
    return messagesSendDropped.sum();
  }

  public long streamsOpened() {
    return streamsOpened.sum();
  }

  public long batchesReceived() {
    return batchesReceived.sum();
  }

  public long messagesReceived() {
    return messagesReceived.sum();
  }

  public long messagesReceiveDropped() {
    return messagesReceiveDropped.sum();
  }

  public long streamsRefused() {
    return streamsRefused.sum();
  }

  public long peersReportedDown() {
    return peersReportedDown.sum();
  }

  public long heartbeatsSent() {
    return heartbeatsSent.sum();
  }

  public long peersReportedSilent() {
    return peersReportedSilent.sum();
  }

  /** Counts a peer reported silent (see {@link PeerSilence}). */
  public void peerReportedSilent() {
    peersReportedSilent.increment();
  }
}
