package io.kvstore.server.membership;

import java.time.Duration;

/**
 * Tuning of elastic membership.
 *
 * @param maxMovesPerNode replica moves that may involve one node (as source or target) at once
 * @param catchUpLag a learner is promoted once its log is within this many entries of the leader's commit
 * @param driverPeriod how often the map group's leader advances the moves
 * @param followPeriod how often every node checks the map group for a newer map
 */
public record MembershipOptions(int maxMovesPerNode, long catchUpLag, Duration driverPeriod,
    Duration followPeriod) {

  public MembershipOptions {
    if (maxMovesPerNode < 1) {
      throw new IllegalArgumentException("max moves per node must be 1 or more, got " + maxMovesPerNode);
    }
    if (catchUpLag < 0) {
      throw new IllegalArgumentException("catch-up lag must be 0 or more, got " + catchUpLag);
    }
  }

  public static MembershipOptions defaults() {
    return new MembershipOptions(2, 100, Duration.ofMillis(250), Duration.ofMillis(200));
  }

  public MembershipOptions withMaxMovesPerNode(int moves) {
    return new MembershipOptions(moves, catchUpLag, driverPeriod, followPeriod);
  }
}
