package io.kvstore.raft;

import io.kvstore.raft.proto.Entry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Checks Raft's safety properties (Raft §5.2, Figure 3) over everything a simulation observes. Any
 * violation throws {@link AssertionError} at once, naming the property.
 *
 * <ul>
 *   <li>Election safety: at most one leader per term.</li>
 *   <li>Log matching: two persisted entries with the same index and term have the same content and the
 *       same predecessor term (so, by induction, identical prefixes).</li>
 *   <li>Committed entries are never lost or changed: once any node's commit index covers an entry, every
 *       node that later commits that index has the same term there.</li>
 *   <li>Leader completeness: a new leader's log holds every entry committed so far.</li>
 *   <li>State machine safety: the state (a rolling digest of applied entries) after applying index
 *       {@code i} is the same on every node, whether reached by applying entries or by installing a
 *       snapshot.</li>
 *   <li>Linearizable reads: a read index is at least the highest commit index any node knew when the
 *       read was requested.</li>
 * </ul>
 */
final class SafetyOracle {
  private final Map<Long, Long> leaderOfTerm = new HashMap<>();
  /** (index, term) → {content hash, predecessor term}. */
  private final Map<Long, Map<Long, long[]>> persisted = new HashMap<>();
  /** committedTerm[i]: the term of the committed entry at index i (0: not seen yet). */
  private long[] committedTerm = new long[1024];
  private long maxCommitted;
  private final Map<Long, Long> digestAt = new HashMap<>();
  private long maxApplied;
  long checks;

  static long hash(Entry e) {
    long h = 0x9E3779B97F4A7C15L * (e.getType().getNumber() + 1);
    for (byte b : e.getData().toByteArray()) {
      h = (h ^ b) * 0x100000001B3L;
    }
    return h;
  }

  void onLeader(long term, long id) {
    checks++;
    Long prev = leaderOfTerm.putIfAbsent(term, id);
    if (prev != null && prev != id) {
      throw new AssertionError("election safety: nodes " + prev + " and " + id + " both lead term " + term);
    }
  }

  void onPersisted(long node, Entry e, long prevTerm) {
    checks++;
    long[] v = {hash(e), prevTerm};
    long[] prev = persisted.computeIfAbsent(e.getIndex(), k -> new HashMap<>()).putIfAbsent(e.getTerm(), v);
    if (prev != null && !Arrays.equals(prev, v)) {
      throw new AssertionError(
          "log matching: node " + node + " persisted a different entry at index " + e.getIndex()
              + " term " + e.getTerm());
    }
  }

  void onCommitted(long node, long index, long term) {
    checks++;
    if (term == 0) {
      return; // compacted on that node: covered by the state digest
    }
    if (index >= committedTerm.length) {
      committedTerm = Arrays.copyOf(committedTerm, (int) Math.max(index + 1, committedTerm.length * 2L));
    }
    long t = committedTerm[(int) index];
    if (t == 0) {
      committedTerm[(int) index] = term;
      maxCommitted = Math.max(maxCommitted, index);
    } else if (t != term) {
      throw new AssertionError(
          "committed entry lost: node " + node + " committed term " + term + " at index " + index
              + " where term " + t + " was committed before");
    }
  }

  long maxCommitted() {
    return maxCommitted;
  }

  /** Leader completeness: {@code core} just became leader. */
  void checkLeaderCompleteness(RaftCore core) {
    checks++;
    long first = core.log.firstIndex();
    if (core.log.lastIndex() < maxCommitted) {
      throw new AssertionError(
          "leader completeness: node " + core.id + " leads term " + core.term + " with last index "
              + core.log.lastIndex() + " but index " + maxCommitted + " is committed");
    }
    for (long i = Math.max(first, 1); i <= maxCommitted; i++) {
      long t = committedTerm[(int) i];
      if (t != 0 && core.log.termOrZero(i) != t) {
        throw new AssertionError(
            "leader completeness: node " + core.id + " leads term " + core.term + " without the committed"
                + " entry at index " + i + " (term " + t + ", it has " + core.log.termOrZero(i) + ")");
      }
    }
  }

  int leaderTerms() {
    return leaderOfTerm.size();
  }

  /** Returns true when this is the first node to reach {@code index}. */
  boolean onApplied(long node, long index, long digest) {
    checks++;
    Long prev = digestAt.putIfAbsent(index, digest);
    if (prev != null && prev != digest) {
      throw new AssertionError(
          "state machine safety: node " + node + " has a different state after index " + index);
    }
    maxApplied = Math.max(maxApplied, index);
    return prev == null;
  }

  long maxApplied() {
    return maxApplied;
  }

  void checkRead(long node, long readIndex, long requiredAtRequest) {
    checks++;
    if (readIndex < requiredAtRequest) {
      throw new AssertionError(
          "linearizable read: node " + node + " got read index " + readIndex + " but index "
              + requiredAtRequest + " was committed before the read was requested");
    }
  }
}
