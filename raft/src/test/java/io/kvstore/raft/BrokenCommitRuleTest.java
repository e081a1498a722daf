package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The simulation can fail: a core with a deliberately broken commit rule (a test-only subclass, not a
 * production flag) must be caught by it. The other broken rule here, {@link OldTermCommitCore}, needs the
 * precise interleaving of Figure 8 and is caught by {@link Figure8Test}.
 */
class BrokenCommitRuleTest {

  /** Commits what a single voter holds, not a majority: a minority leader "commits" alone. */
  static final class MinorityCommitCore extends RaftCore {
    MinorityCommitCore(Config cfg, LogStorage storage) {
      super(cfg, storage);
    }

    @Override
    long quorumIndex(LongUnaryOperator match) {
      long max = 0;
      for (long v : membership.voters()) {
        max = Math.max(max, match.applyAsLong(v));
      }
      return max;
    }
  }

  /** Ignores §5.4.2: commits entries of older terms by counting replicas (Figure 8's mistake). */
  static final class OldTermCommitCore extends RaftCore {
    OldTermCommitCore(Config cfg, LogStorage storage) {
      super(cfg, storage);
    }

    @Override
    boolean canCommitAt(long index) {
      return true;
    }
  }

  static long firstFailingSeed(java.util.function.BiFunction<Config, LogStorage, RaftCore> factory, int seeds) {
    for (long seed = 1; seed <= seeds; seed++) {
      try {
        new RandomSimulation(seed, factory).run();
      } catch (AssertionError e) {
        System.out.println("broken rule caught at seed " + seed + ": " + e.getMessage());
        return seed;
      }
    }
    return -1;
  }

  @Test
  void simulationCatchesMinorityCommit() {
    assertThat(firstFailingSeed(MinorityCommitCore::new, 200)).isPositive();
  }
}
