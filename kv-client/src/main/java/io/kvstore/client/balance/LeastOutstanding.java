package io.kvstore.client.balance;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * "Least connections": picks the candidate with the fewest requests in flight from this client, counted
 * through {@link #onStart} and {@link #onFinish}. A slow node accumulates requests in flight and so receives
 * fewer new ones. Ties are broken in turn (round robin), so idle nodes share the load evenly.
 */
public final class LeastOutstanding implements LoadBalancer {
  private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong tieBreak = new AtomicLong();

  @Override
  public Target pick(List<Target> candidates) {
    int n = candidates.size();
    int offset = (int) Math.floorMod(tieBreak.getAndIncrement(), (long) n);
    Target best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      Target t = candidates.get((offset + i) % n);
      int load = outstanding(t.address());
      if (load < bestLoad) {
        best = t;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Requests to {@code address} in flight now. */
  public int outstanding(String address) {
    AtomicInteger c = inFlight.get(address);
    return c == null ? 0 : c.get();
  }

  @Override
  public void onStart(String address) {
    inFlight.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
  }

  @Override
  public void onFinish(String address) {
    AtomicInteger c = inFlight.get(address);
    if (c != null) {
      c.decrementAndGet();
    }
  }

  @Override
  public String toString() {
    return "least-outstanding";
  }
}
