package io.kvstore.server.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The node-wide log budget's rule: which group compacts early, and the accounting behind it. */
class LogRetentionTest {
  private static final long ENOUGH = LogRetention.MIN_ENTRIES;

  @Test
  void underTheBudgetNoGroupCompactsEarly() {
    LogRetention node = new LogRetention(1_000);
    LogRetention.Account a = node.open();
    a.applied(999);
    assertThat(a.compactEarly(10 * ENOUGH)).isFalse();
    a.applied(2);
    assertThat(node.retainedBytes()).isEqualTo(1_001);
    assertThat(a.compactEarly(10 * ENOUGH)).isTrue();
  }

  @Test
  void overTheBudgetTheGroupsAboveTheAverageCompactAndIdleOnesDoNot() {
    LogRetention node = new LogRetention(1_000);
    LogRetention.Account busy = node.open();
    LogRetention.Account alsoBusy = node.open();
    LogRetention.Account idle = node.open();
    busy.applied(900);
    alsoBusy.applied(600);
    idle.applied(10);
    // 1,510 retained, average 503: both busy groups hold more, the idle one far less.
    assertThat(busy.compactEarly(ENOUGH)).isTrue();
    assertThat(alsoBusy.compactEarly(ENOUGH)).isTrue();
    assertThat(idle.compactEarly(ENOUGH)).isFalse();

    busy.compacted();
    assertThat(node.retainedBytes()).isEqualTo(610);
    assertThat(alsoBusy.compactEarly(ENOUGH)).as("back under the budget").isFalse();
  }

  @Test
  void aGroupWithFewAppliedEntriesWaitsEvenOverTheBudget() {
    LogRetention node = new LogRetention(100);
    LogRetention.Account big = node.open();
    big.applied(10_000); // a few very large entries
    assertThat(big.compactEarly(ENOUGH - 1)).isFalse();
    assertThat(big.compactEarly(ENOUGH)).isTrue();
  }

  @Test
  void aClosedGroupNoLongerCountsNorLowersTheAverage() {
    LogRetention node = new LogRetention(1_000);
    LogRetention.Account gone = node.open();
    LogRetention.Account stays = node.open();
    gone.applied(5_000);
    stays.applied(1_200);
    assertThat(stays.compactEarly(ENOUGH)).as("below the average of two").isFalse();
    gone.close();
    gone.close(); // twice is harmless
    gone.applied(7); // and a late apply is not counted
    assertThat(node.retainedBytes()).isEqualTo(1_200);
    assertThat(stays.compactEarly(ENOUGH)).as("alone over the budget").isTrue();
    assertThat(gone.compactEarly(ENOUGH)).isFalse();
  }

  @Test
  void theBudgetIsHalfTheLogMemtable() {
    assertThat(LogRetention.forMemtable(16L << 20).compactEarlyThreshold()).isEqualTo(8L << 20);
    assertThatThrownBy(() -> new LogRetention(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
