package io.kvstore.bench.chaos;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The kinds of fault a chaos run injects, as named on the command line ({@code --faults kill,pause,partition}). */
enum FaultKind {
  /** {@code kill -9} of a node (the busiest leader preferred), restarted on the same data after a while. */
  KILL,
  /** SIGSTOP of a node (leader preferred) long enough to lose leadership, then SIGCONT. */
  PAUSE,
  /** Network partitions between nodes: majority/minority, the leader isolated, a bridge, one-way loss. */
  PARTITION,
  /**
   * Elastic membership: a spare node joins (replicas move onto it), then it is drained and removed
   * (they move off again), while the clients run.
   */
  MEMBERSHIP;

  String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code kill,pause,partition,membership} (any subset; {@code none} or empty for none). */
  static Set<FaultKind> parseList(String spec) {
    Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
    for (String part : spec.split(",")) {
      String p = part.strip().toLowerCase(Locale.ROOT);
      if (p.isEmpty() || p.equals("none")) {
        continue;
      }
      if (p.equals("all")) {
        kinds.addAll(EnumSet.allOf(FaultKind.class));
        continue;
      }
      try {
        kinds.add(valueOf(p.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown fault '" + p + "' (kill, pause, partition, membership, all,"
            + " none)");
      }
    }
    return kinds;
  }
}
