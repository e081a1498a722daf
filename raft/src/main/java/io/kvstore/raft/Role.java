package io.kvstore.raft;

/** The role a replica plays in its group (Raft §5.1; pre-candidate: thesis §9.6). */
public enum Role {
  FOLLOWER,
  /** Asking for pre-votes before disturbing the group with a real election (thesis §9.6). */
  PRE_CANDIDATE,
  CANDIDATE,
  LEADER
}
