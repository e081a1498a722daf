package io.kvstore.client.balance;

import java.util.List;

/**
 * Chooses one node among several that may serve a request: the replicas of a shard for STALE reads (and
 * LINEARIZABLE follower reads), the replicas that can forward a request whose shard leader is unknown, the
 * node that coordinates a cross-shard scan, and the seed endpoints the cluster map is fetched from.
 *
 * <p>Contract:
 * <ul>
 *   <li>Thread-safe: {@link #pick} is called concurrently from any client thread and callback.</li>
 *   <li>Never blocks, never throws for a non-empty list; {@code candidates} is never empty and never
 *       modified. The same list may be offered in any order by different calls.</li>
 *   <li>The client calls {@link #onStart} right before sending to the picked node and {@link #onFinish}
 *       exactly once when that request completes, whatever its outcome, so policies that balance by load
 *       can count requests in flight. Both must be cheap.</li>
 * </ul>
 */
public interface LoadBalancer {

  /** One of {@code candidates}. */
  Target pick(List<Target> candidates);

  /** A request to {@code address} is about to be sent. */
  default void onStart(String address) {}

  /** A request to {@code address} completed (successfully or not). */
  default void onFinish(String address) {}
}
