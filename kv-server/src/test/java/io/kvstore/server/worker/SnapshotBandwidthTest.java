package io.kvstore.server.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The node's snapshot budget: bytes per second over time, one second of burst, any chunk passes eventually. */
class SnapshotBandwidthTest {
  static final long SECOND = 1_000_000_000L;

  @Test
  void sendsAtMostTheBudgetPerSecondAfterTheFirstBurst() {
    SnapshotBandwidth b = new SnapshotBandwidth(1_000_000);
    long sent = 0;
    // 10 simulated seconds, a 64 KiB chunk offered every millisecond.
    for (long t = 0; t < 10 * SECOND; t += 1_000_000) {
      if (b.tryTake(65_536, t)) {
        sent += 65_536;
      }
    }
    // One second of burst plus ten of budget, within a chunk.
    assertThat(sent).isBetween(10_000_000L, 11_000_000L + 65_536);
  }

  @Test
  void aChunkLargerThanTheBudgetStillPassesOnceTheBucketIsFull() {
    SnapshotBandwidth b = new SnapshotBandwidth(1_000);
    assertThat(b.tryTake(5_000, 0)).isTrue();
    assertThat(b.tryTake(5_000, SECOND)).isFalse();
    assertThat(b.tryTake(5_000, 5 * SECOND)).isTrue();
  }

  @Test
  void zeroMeansNoLimitAndNegativeIsRefused() {
    SnapshotBandwidth b = new SnapshotBandwidth(0);
    for (int i = 0; i < 1000; i++) {
      assertThat(b.tryTake(1 << 20, 0)).isTrue();
    }
    assertThatThrownBy(() -> b.setBytesPerSecond(-1)).hasMessageContaining("0 (no limit)");
  }
}
