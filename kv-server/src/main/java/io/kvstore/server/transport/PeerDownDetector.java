package io.kvstore.server.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells "the peer's process is gone" apart from "the peer is slow or cut off", for faster failover.
 *
 * <p>When a peer's Raft stream breaks, one TCP connect to its address is tried. A refused connection
 * means nothing listens there: the process died (kill -9, crash) or closed its server. Only then is the
 * peer reported down ({@code RawNode.reportPeerDown}: its followers elect a new leader within half an
 * election timeout instead of a whole one). Everything else (a timeout, an accepted connection, an
 * unreachable network) reports nothing and leaves failure detection to Raft's election timeout. That
 * matters for the leader lease: a paused (SIGSTOP) or partitioned leader still listens (the kernel
 * accepts or the packets are dropped), so its followers keep defending its lease as Raft requires; a
 * process that no longer listens cannot answer a lease read from a stale term... except while it shuts
 * down, which is why a closing node voids its leases before it closes its port ({@code Node#close}).
 *
 * <p>One probe per peer at a time, on one daemon thread; probes are rare (a stream breaks once per
 * failure and is reopened with backoff). Thread-safe.
 */
final class PeerDownDetector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerDownDetector.class);
  private static final int CONNECT_TIMEOUT_MILLIS = 1_000;

  private final LongConsumer onDown;
  private final TransportStats stats;
  private final Set<Long> probing = ConcurrentHashMap.newKeySet();
  /** Peers reported down and not seen up since: logged once per outage, not at every reconnect attempt. */
  private final Set<Long> down = ConcurrentHashMap.newKeySet();
  private final ExecutorService prober = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "kv-peer-probe");
    t.setDaemon(true);
    return t;
  });

  PeerDownDetector(LongConsumer onDown, TransportStats stats) {
    this.onDown = onDown;
    this.stats = stats;
  }

  /** The stream to {@code peerId} at {@code address} ({@code host:port}) broke: probe it once. */
  void suspect(long peerId, String address) {
    if (!probing.add(peerId)) {
      return;
    }
    try {
      prober.execute(() -> {
        try {
          if (refuses(address)) {
            stats.peersReportedDown.increment();
            if (down.add(peerId)) {
              log.info("node {} at {} refuses connections: reporting it down to its followers",
                  Long.toUnsignedString(peerId), address);
            }
            onDown.accept(peerId);
          }
        } finally {
          probing.remove(peerId);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      probing.remove(peerId);
    }
  }

  /** A stream to {@code peerId} works again. */
  void up(long peerId) {
    if (down.remove(peerId)) {
      log.info("node {} is reachable again", Long.toUnsignedString(peerId));
    }
  }

  /** Whether a TCP connect to {@code address} is actively refused (nothing listens there). */
  static boolean refuses(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      return false;
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      return false;
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
      return false;
    } catch (ConnectException e) {
      // "Connection refused" (RST to our SYN). "Connection timed out" is also a ConnectException on some
      // platforms: only a refusal proves that nothing listens.
      String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
      return m.contains("refused");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    prober.shutdownNow();
  }
}
