package io.kvstore.raft;

/** Why the core dropped (or answered with a rejection) an inbound message; counted in {@link RaftMetrics}. */
public enum DropReason {
  /** {@code to} is not this node, {@code from} is 0 or this node, or the type is unknown. */
  MISADDRESSED,
  /** A response from a node that is not in the group's membership. */
  UNKNOWN_SENDER,
  /** The message's term is older than the current term (Raft §5.1). */
  STALE_TERM,
  /** A response that no longer matches what the leader is waiting for (reordered or duplicated). */
  STALE_RESPONSE,
  /** An index beyond this node's log, or a commit below a known-committed entry being overwritten. */
  OUT_OF_RANGE,
  /** Entries that are not contiguous, terms that go backwards, a snapshot chunk without metadata, ... */
  MALFORMED,
  /** A snapshot chunk at an offset this node does not expect (answered with the expected offset). */
  SNAPSHOT_CHUNK_OUT_OF_ORDER,
  /** A (pre-)vote request ignored because this node heard from a live leader recently (thesis §9.6). */
  VOTE_IN_LEASE,
  /** A message this role does not handle (e.g. a vote response to a follower). */
  UNEXPECTED_FOR_ROLE
}
