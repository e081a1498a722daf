package io.kvstore.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The randomized, seeded simulation (see {@link RandomSimulation}). The default run covers 1,000 seeds;
 * {@code mvn -Psoak -pl raft test} runs 100,000. A failure names its seed; replay one seed with
 * {@code mvn -pl raft test -Dtest=SimulationTest#replaySeed -Draft.sim.seed=N}.
 */
class SimulationTest {
  static final int DEFAULT_SEEDS = Integer.getInteger("raft.sim.seeds", 1000);

  static long runSeeds(long first, int count) {
    long steps = 0;
    long messages = 0;
    long committed = 0;
    long reads = 0;
    long leaseReads = 0;
    long checks = 0;
    long leaders = 0;
    long snapshots = 0;
    long confChanges = 0;
    long crashes = 0;
    for (long seed = first; seed < first + count; seed++) {
      RandomSimulation.Result r;
      try {
        r = new RandomSimulation(seed).run();
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            "simulation failed at seed " + seed + ": " + e.getMessage()
                + "\nreplay: mvn -pl raft test -Dtest=SimulationTest#replaySeed -Draft.sim.seed=" + seed,
            e);
      }
      steps += r.steps();
      messages += r.messages();
      committed += r.committed();
      reads += r.reads();
      leaseReads += r.leaseReads();
      checks += r.checks();
      leaders += r.leaderTerms();
      snapshots += r.snapshotsInstalled();
      confChanges += r.confChanges();
      crashes += r.crashes();
    }
    System.out.printf(
        "raft simulation: %d seeds [%d, %d), %d steps, %d messages, %d entries committed, %d reads checked"
            + " (%d by lease), %d leader terms, %d snapshots installed, %d membership changes, %d crashes,"
            + " %d safety checks%n",
        count, first, first + count, steps, messages, committed, reads, leaseReads, leaders, snapshots,
        confChanges, crashes, checks);
    return steps;
  }

  @Test
  void thousandSeedsKeepSafetyAndLiveness() {
    assertThat(runSeeds(1, DEFAULT_SEEDS)).isPositive();
  }

  /** Seeds that once found bugs (kept as regressions): see the commit history of the raft module. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(longs = {3, 7, 1060155})
  void formerlyFailingSeeds(long seed) {
    assertThat(new RandomSimulation(seed).run().steps()).isPositive();
  }

  @Test
  void replaySeed() {
    long seed = Long.getLong("raft.sim.seed", 42L);
    RandomSimulation.Result r = new RandomSimulation(seed).run();
    System.out.println("replayed seed " + seed + ": " + r);
    assertThat(r.steps()).isPositive();
  }

  @Test
  @Tag("soak")
  void hundredThousandSeeds() {
    assertThat(runSeeds(1_000_000, Integer.getInteger("raft.sim.soakSeeds", 100_000))).isPositive();
  }
}
