package io.kvstore.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeerSilenceTest {
  private static final long MS = 1_000_000;

  @Test
  void aPeerSilentForLongerThanTheThresholdIsReportedOncePerSilence() {
    PeerSilence s = new PeerSilence(500 * MS, 0);
    List<Long> peers = List.of(2L, 3L);
    assertThat(s.silentPeers(peers, 0)).as("first sight counts as heard").isEmpty();
    s.heard(2, 300 * MS);
    s.heard(3, 300 * MS);
    assertThat(s.silentPeers(peers, 400 * MS)).isEmpty();
    s.heard(2, 700 * MS);
    assertThat(s.silentPeers(peers, 801 * MS)).containsExactly(3L);
    assertThat(s.silentPeers(peers, 900 * MS)).as("reported once").isEmpty();
    s.heard(3, 950 * MS);
    assertThat(s.silentPeers(peers, 1_000 * MS)).isEmpty();
    assertThat(s.silentPeers(peers, 1_300 * MS)).as("2 silent since 700 ms").containsExactly(2L);
    assertThat(s.silentPeers(peers, 1_451 * MS)).as("3 silent again, a new silence").containsExactly(3L);
  }

  @Test
  void aPauseOfTheCheckerItselfRestartsEveryPeersClock() {
    PeerSilence s = new PeerSilence(500 * MS, 0);
    List<Long> peers = List.of(2L);
    s.silentPeers(peers, 0);
    s.heard(2, 100 * MS);
    // This node was stopped from 100 ms to 5 s: nothing could be heard meanwhile, so nothing is silent.
    assertThat(s.silentPeers(peers, 5_000 * MS)).isEmpty();
    assertThat(s.silentPeers(peers, 5_100 * MS)).isEmpty();
    // From then on the peer has its threshold again.
    assertThat(s.silentPeers(peers, 5_400 * MS)).isEmpty();
    assertThat(s.silentPeers(peers, 5_501 * MS)).containsExactly(2L);
  }
}
