package io.kvstore.server.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.server.statemachine.LeaseTable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The leader-side deadlines, on a hand-driven clock. */
class LeaseKeeperTest {
  private static final long MS = 1_000_000L;
  private long now = 1_000 * MS;
  private final LeaseTable table = new LeaseTable();
  private final LeaseKeeper keeper = new LeaseKeeper(table, () -> now);

  /** Loads one lease of {@code ttl} ms into the table the way a replica loads its records. */
  private void lease(long id, long ttl) {
    table.load(List.of(Map.entry(ByteBuffer.allocate(9).put((byte) 'L').putLong(id).array(),
        ByteBuffer.allocate(8).putLong(ttl).array())));
  }

  @Test
  void aLeaseIsDueOnceAfterItsTtlAndNotBefore() {
    lease(42, 100);
    assertThat(keeper.onTick(1)).isEmpty();
    now += 99 * MS;
    assertThat(keeper.onTick(1)).isEmpty();
    now += 1 * MS;
    assertThat(keeper.onTick(1)).containsExactly(42L);
    assertThat(keeper.onTick(1)).as("reported once while its expiry is in flight").isEmpty();
    assertThat(keeper.renew(42)).as("no keep-alive for a lease being expired").isEmpty();
    keeper.expiryFinished(42); // the proposal failed: report it again
    assertThat(keeper.onTick(1)).containsExactly(42L);
  }

  @Test
  void keepAliveRenewsToAFullTtl() {
    lease(42, 100);
    keeper.onTick(1);
    now += 80 * MS;
    assertThat(keeper.renew(42)).hasValue(100);
    now += 80 * MS;
    assertThat(keeper.onTick(1)).isEmpty();
    assertThat(keeper.ttlLeftMillis(42)).hasValue(20);
    now += 20 * MS;
    assertThat(keeper.onTick(1)).containsExactly(42L);
  }

  @Test
  void aNewLeadershipStartsEveryLeaseFromAFullTtl() {
    lease(42, 100);
    keeper.onTick(1);
    now += 90 * MS;
    keeper.onTick(0); // lost leadership
    assertThat(keeper.leading()).isFalse();
    assertThat(keeper.renew(42)).as("a follower renews nothing").isEmpty();
    keeper.onTick(3); // leads again, in a later term
    now += 90 * MS;
    assertThat(keeper.onTick(3)).as("180 ms after the grant, 90 ms into the new term").isEmpty();
    now += 10 * MS;
    assertThat(keeper.onTick(3)).containsExactly(42L);
  }

  @Test
  void unknownLeasesAreNotRenewed() {
    keeper.onTick(1);
    assertThat(keeper.renew(7)).isEmpty();
    assertThat(keeper.ttlLeftMillis(7)).isEmpty();
  }
}
