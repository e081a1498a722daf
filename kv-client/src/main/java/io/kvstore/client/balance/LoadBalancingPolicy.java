package io.kvstore.client.balance;

import java.util.Locale;

/** The load-balancing policies that come with the client, by name (as kvctl's {@code --lb} takes them). */
public enum LoadBalancingPolicy {
  /** {@link RoundRobin}. */
  ROUND_ROBIN("round-robin"),
  /** {@link WeightedRoundRobin}, with the weights of the cluster map's nodes. */
  WEIGHTED_ROUND_ROBIN("weighted-round-robin"),
  /** {@link LeastOutstanding}: the fewest requests in flight ("least connections"). */
  LEAST_OUTSTANDING("least-outstanding"),
  /** {@link RandomChoice}. */
  RANDOM("random");

  private final String cliName;

  LoadBalancingPolicy(String cliName) {
    this.cliName = cliName;
  }

  /** A new balancer of this policy (each client needs its own: balancers keep state). */
  public LoadBalancer newBalancer() {
    return switch (this) {
      case ROUND_ROBIN -> new RoundRobin();
      case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobin();
      case LEAST_OUTSTANDING -> new LeastOutstanding();
      case RANDOM -> new RandomChoice();
    };
  }

  /** The name on the command line: {@code round-robin}, {@code weighted-round-robin}, ... */
  public String cliName() {
    return cliName;
  }

  /** Parses a command-line name (or the enum constant's name); the message lists the valid names. */
  public static LoadBalancingPolicy parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (LoadBalancingPolicy p : values()) {
      if (p.cliName.equals(n)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown load-balancing policy '" + name
        + "': use round-robin, weighted-round-robin, least-outstanding or random");
  }
}
