package io.kvstore.client.balance;

import java.util.Objects;

/**
 * A node a request may go to, as a {@link LoadBalancer} sees it.
 *
 * @param address the node's {@code host:port}; the key under which balancers keep per-node state
 * @param nodeId the node's id in the cluster map, or 0 for a seed endpoint whose id is not known yet
 * @param weight the node's relative share (from {@code Node.weight} in the cluster map; 1 for seeds and
 *     for nodes whose map leaves it unset)
 */
public record Target(String address, long nodeId, int weight) {

  public Target {
    Objects.requireNonNull(address, "address");
    if (weight < 1) {
      weight = 1;
    }
  }
}
