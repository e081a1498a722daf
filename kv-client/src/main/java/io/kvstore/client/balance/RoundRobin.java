package io.kvstore.client.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes the candidates in turn: over any {@code n} consecutive picks from the same {@code n} candidates,
 * each is picked once. One counter serves every candidate list, so lists of different shards interleave
 * but each is still spread evenly.
 */
public final class RoundRobin implements LoadBalancer {
  private final AtomicLong next = new AtomicLong();

  @Override
  public Target pick(List<Target> candidates) {
    return candidates.get((int) Math.floorMod(next.getAndIncrement(), (long) candidates.size()));
  }

  @Override
  public String toString() {
    return "round-robin";
  }
}
