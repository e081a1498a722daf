package io.kvstore.raft;

import io.kvstore.raft.proto.ConfState;
import java.util.Map;
import java.util.TreeMap;

/**
 * A copy of one replica's state, for monitoring and for the driver's decisions (e.g. which follower is
 * up to date for a leadership transfer).
 *
 * @param id this node
 * @param role its role
 * @param term the current term
 * @param vote the node voted for in {@code term} (0: none)
 * @param leader the known leader (0: none)
 * @param commit the commit index
 * @param applied the index of the last entry handed out and acknowledged by {@code advance}
 * @param lastIndex the last index in the log (persisted or not)
 * @param membership the membership in effect (the latest in the log: Raft §6 / thesis §4.1)
 * @param progress on a leader, every member's progress by node id (itself included); empty otherwise
 * @param leadTransferee the node leadership is being handed to, 0 when none
 * @param quiesced true while the group is quiet (see {@link Config#quiesce()})
 */
public record Status(
    long id,
    Role role,
    long term,
    long vote,
    long leader,
    long commit,
    long applied,
    long lastIndex,
    ConfState membership,
    Map<Long, ProgressView> progress,
    long leadTransferee,
    boolean quiesced) {

  /** The state of {@code c} now (what {@link RawNode#status()} returns). */
  static Status of(RaftCore c) {
    Map<Long, ProgressView> views = new TreeMap<>();
    if (c.role == Role.LEADER) {
      for (Map.Entry<Long, Progress> e : c.progress.entrySet()) {
        views.put(e.getKey(), e.getValue().view(c.membership.isLearner(e.getKey())));
      }
      views.put(c.id, new ProgressView(c.log.stableLastIndex(), c.log.lastIndex() + 1,
          ProgressView.State.REPLICATE, c.membership.isLearner(c.id), 0, 0, true));
    }
    return new Status(c.id, c.role, c.term, c.vote, c.leader, c.log.committed, c.log.applied,
        c.log.lastIndex(), c.membership.toConfState(), views, c.leadTransferee, c.quiesced);
  }
}
