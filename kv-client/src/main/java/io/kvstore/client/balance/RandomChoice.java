package io.kvstore.client.balance;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Picks a candidate uniformly at random. Seeded, so a test (or a replayed run) sees the same choices; the
 * generator is shared under a lock, which costs little next to a network round trip.
 */
public final class RandomChoice implements LoadBalancer {
  private final SplittableRandom random;

  public RandomChoice(long seed) {
    this.random = new SplittableRandom(seed);
  }

  public RandomChoice() {
    this.random = new SplittableRandom();
  }

  @Override
  public Target pick(List<Target> candidates) {
    int i;
    synchronized (random) {
      i = random.nextInt(candidates.size());
    }
    return candidates.get(i);
  }

  @Override
  public String toString() {
    return "random";
  }
}
