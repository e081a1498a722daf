package io.kvstore.raft;

/**
 * Volatile state the driver may want to observe (not persisted): who leads, and this replica's role.
 *
 * @param leader the known leader's node id in the current term, 0 when unknown
 * @param role this replica's role
 * @param term the current term (also in the hard state; repeated here for convenience)
 */
public record SoftState(long leader, Role role, long term) {}
