package io.kvstore.server.membership;

import java.time.Duration;

/**
 * Tuning of elastic membership.
 *
 * @param maxMovesPerNode replica moves that may involve one node (as source or target) at once
 * @param catchUpLag a learner is promoted once its log is within this many entries of the leader's commit
 * @param driverPeriod how often the map group's leader advances the moves
 * @param followPeriod how often every node checks the map group for a newer map (and probes the others)
 * @param failureTimeout a node that has not answered for this long is marked DOWN and its replicas are
 *     re-created on other nodes; it is marked UP again when it answers
 * @param leaderBalancePeriod how often the map group's leader moves one leadership towards the nodes'
 *     weighted shares (when no replica moves); zero turns leader balancing off
 * @param snapshotBytesPerSecond the snapshot bytes one node may send per second (replica moves and
 *     lagging followers together); 0 means no limit
 */
public record MembershipOptions(int maxMovesPerNode, long catchUpLag, Duration driverPeriod,
    Duration followPeriod, Duration failureTimeout, Duration leaderBalancePeriod, long snapshotBytesPerSecond) {

  public MembershipOptions {
    if (maxMovesPerNode < 1) {
      throw new IllegalArgumentException("max moves per node must be 1 or more, got " + maxMovesPerNode);
    }
    if (failureTimeout.isNegative() || failureTimeout.isZero()) {
      throw new IllegalArgumentException("the failure timeout must be positive, got " + failureTimeout);
    }
    if (snapshotBytesPerSecond < 0) {
      throw new IllegalArgumentException("snapshot bytes per second must be 0 (no limit) or more");
    }
    if (leaderBalancePeriod.isNegative()) {
      throw new IllegalArgumentException("the leader balance period must be 0 (off) or more");
    }
    if (catchUpLag < 0) {
      throw new IllegalArgumentException("catch-up lag must be 0 or more, got " + catchUpLag);
    }
  }

  public static MembershipOptions defaults() {
    return new MembershipOptions(2, 100, Duration.ofMillis(250), Duration.ofMillis(200), Duration.ofSeconds(30),
        Duration.ofSeconds(2), 64L << 20);
  }

  public MembershipOptions withMaxMovesPerNode(int moves) {
    return new MembershipOptions(moves, catchUpLag, driverPeriod, followPeriod, failureTimeout,
        leaderBalancePeriod, snapshotBytesPerSecond);
  }

  public MembershipOptions withFailureTimeout(Duration timeout) {
    return new MembershipOptions(maxMovesPerNode, catchUpLag, driverPeriod, followPeriod, timeout,
        leaderBalancePeriod, snapshotBytesPerSecond);
  }

  /** Zero turns leader balancing off. */
  public MembershipOptions withLeaderBalancePeriod(Duration period) {
    return new MembershipOptions(maxMovesPerNode, catchUpLag, driverPeriod, followPeriod, failureTimeout, period,
        snapshotBytesPerSecond);
  }

  /** 0 means no limit. */
  public MembershipOptions withSnapshotBytesPerSecond(long bytesPerSecond) {
    return new MembershipOptions(maxMovesPerNode, catchUpLag, driverPeriod, followPeriod, failureTimeout,
        leaderBalancePeriod, bytesPerSecond);
  }
}
