package io.kvstore.client.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Round robin in proportion to each node's weight (from the node config in the cluster map): over any
 * {@code W} consecutive picks from the same candidates, where {@code W} is the sum of their weights, a
 * candidate of weight {@code w} is picked exactly {@code w} times.
 *
 * <p>The counter's position within {@code [0, W)} is walked over the candidates' cumulative weights in
 * address order, so the outcome does not depend on the order in which a call lists the candidates.
 */
public final class WeightedRoundRobin implements LoadBalancer {
  private final AtomicLong next = new AtomicLong();

  @Override
  public Target pick(List<Target> candidates) {
    long total = 0;
    for (Target t : candidates) {
      total += t.weight();
    }
    long slot = Math.floorMod(next.getAndIncrement(), total);
    List<Target> ordered = candidates.stream()
        .sorted(java.util.Comparator.comparing(Target::address)).toList();
    for (Target t : ordered) {
      slot -= t.weight();
      if (slot < 0) {
        return t;
      }
    }
    return ordered.get(ordered.size() - 1); // unreachable: slot < total
  }

  @Override
  public String toString() {
    return "weighted-round-robin";
  }
}
