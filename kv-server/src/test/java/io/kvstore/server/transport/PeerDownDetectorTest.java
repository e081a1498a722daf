package io.kvstore.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * Only a port that refuses connections counts as "process gone": a listening process that never answers
 * (paused with SIGSTOP: the kernel still accepts for it) must not be reported, or its followers would
 * stop honouring a lease it may still use.
 */
class PeerDownDetectorTest {

  @Test
  void aPortNobodyListensOnRefuses() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThat(PeerDownDetector.refuses("127.0.0.1:" + port)).isTrue();
  }

  @Test
  void aListeningProcessThatNeverAnswersIsNotDown() throws Exception {
    // Accepts into the backlog, never reads: what a SIGSTOPped node looks like from outside.
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      assertThat(PeerDownDetector.refuses("127.0.0.1:" + s.getLocalPort())).isFalse();
    }
  }

  @Test
  void malformedAddressesAreNotReportedDown() {
    assertThat(PeerDownDetector.refuses("no-port")).isFalse();
    assertThat(PeerDownDetector.refuses("127.0.0.1:notaport")).isFalse();
  }
}
