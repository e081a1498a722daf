package io.kvstore.raft;

import io.kvstore.raft.ProposalRejectedException.Reason;
import io.kvstore.raft.proto.ConfChange;
import io.kvstore.raft.proto.ConfChangeSingle;
import io.kvstore.raft.proto.ConfState;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongUnaryOperator;

/**
 * A group's membership: voters decide (majorities), learners only receive the log. Immutable.
 *
 * <p>Changes are single-voter (Raft thesis §4.1): a {@link ConfChange} may add or remove any number of
 * learners but change the voter set by at most one node, so every majority of the old voters overlaps
 * every majority of the new ones and no joint configuration is needed. {@code voters_outgoing} and
 * {@code learners_next} of {@link ConfState} are therefore always empty.
 */
final class Membership {
  static final Membership EMPTY = new Membership(new long[0], new long[0]);

  private final long[] voters;
  private final long[] learners;

  private Membership(long[] voters, long[] learners) {
    this.voters = voters;
    this.learners = learners;
  }

  static Membership of(ConfState cs) {
    long[] v = cs.getVotersList().stream().mapToLong(Long::longValue).distinct().sorted().toArray();
    long[] l =
        cs.getLearnersList().stream()
            .mapToLong(Long::longValue)
            .distinct()
            .filter(x -> Arrays.binarySearch(v, x) < 0)
            .sorted()
            .toArray();
    return new Membership(v, l);
  }

  ConfState toConfState() {
    ConfState.Builder b = ConfState.newBuilder();
    for (long v : voters) {
      b.addVoters(v);
    }
    for (long l : learners) {
      b.addLearners(l);
    }
    return b.build();
  }

  long[] voters() {
    return voters;
  }

  long[] learners() {
    return learners;
  }

  boolean isVoter(long id) {
    return Arrays.binarySearch(voters, id) >= 0;
  }

  boolean isLearner(long id) {
    return Arrays.binarySearch(learners, id) >= 0;
  }

  boolean contains(long id) {
    return isVoter(id) || isLearner(id);
  }

  int quorum() {
    return voters.length / 2 + 1;
  }

  /**
   * The new membership after {@code cc}.
   *
   * @throws ProposalRejectedException (INVALID_CONF_CHANGE) when more than one voter would change or no
   *     voter would remain
   */
  Membership apply(ConfChange cc) {
    TreeSet<Long> v = new TreeSet<>();
    TreeSet<Long> l = new TreeSet<>();
    for (long x : voters) {
      v.add(x);
    }
    for (long x : learners) {
      l.add(x);
    }
    for (ConfChangeSingle c : cc.getChangesList()) {
      long id = c.getNodeId();
      if (id <= 0) {
        throw new ProposalRejectedException(Reason.INVALID_CONF_CHANGE, "node id must be positive");
      }
      switch (c.getType()) {
        case CONF_CHANGE_ADD_VOTER:
          l.remove(id);
          v.add(id);
          break;
        case CONF_CHANGE_ADD_LEARNER:
          v.remove(id);
          l.add(id);
          break;
        case CONF_CHANGE_REMOVE_NODE:
          v.remove(id);
          l.remove(id);
          break;
        default:
          throw new ProposalRejectedException(Reason.INVALID_CONF_CHANGE, "unknown change " + c);
      }
    }
    long[] nv = v.stream().mapToLong(Long::longValue).toArray();
    long[] nl = l.stream().mapToLong(Long::longValue).toArray();
    if (nv.length == 0) {
      throw new ProposalRejectedException(Reason.INVALID_CONF_CHANGE, "no voter would remain");
    }
    int changed = 0;
    for (long x : nv) {
      if (!isVoter(x)) {
        changed++;
      }
    }
    for (long x : voters) {
      if (Arrays.binarySearch(nv, x) < 0) {
        changed++;
      }
    }
    if (changed > 1) {
      throw new ProposalRejectedException(
          Reason.INVALID_CONF_CHANGE, "a change may add or remove at most one voter (thesis §4.1)");
    }
    return new Membership(nv, nl);
  }

  /** Applies a change already in the log without validation beyond what keeps the state usable. */
  Membership applyUnchecked(ConfChange cc) {
    try {
      return apply(cc);
    } catch (ProposalRejectedException e) {
      return this; // a leader never appends an invalid change; a malformed entry changes nothing
    }
  }

  /** The largest index a majority of voters has (Raft §5.3); {@code match} gives each voter's match. */
  long committedIndex(LongUnaryOperator match) {
    if (voters.length == 0) {
      return 0;
    }
    long[] m = new long[voters.length];
    for (int i = 0; i < voters.length; i++) {
      m[i] = match.applyAsLong(voters[i]);
    }
    Arrays.sort(m);
    return m[voters.length - quorum()];
  }

  /** WON, LOST or PENDING for an election whose answers so far are {@code votes} (id → granted). */
  VoteResult voteResult(Map<Long, Boolean> votes) {
    int granted = 0;
    int missing = 0;
    for (long v : voters) {
      Boolean b = votes.get(v);
      if (b == null) {
        missing++;
      } else if (b) {
        granted++;
      }
    }
    int q = quorum();
    if (granted >= q) {
      return VoteResult.WON;
    }
    if (granted + missing >= q) {
      return VoteResult.PENDING;
    }
    return VoteResult.LOST;
  }

  enum VoteResult {
    WON,
    LOST,
    PENDING
  }

  @Override
  public String toString() {
    return "voters=" + Arrays.toString(voters) + " learners=" + Arrays.toString(learners);
  }
}
