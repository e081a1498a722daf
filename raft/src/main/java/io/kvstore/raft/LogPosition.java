package io.kvstore.raft;

/**
 * Where a proposal was appended in the leader's log. The proposal is committed if and when the entry at
 * {@code index} with {@code term} comes out of {@link Ready#committedEntries()}; if an entry with the same
 * index but another term comes out instead, the proposal was lost (a new leader overwrote it) and the
 * caller may retry.
 */
public record LogPosition(long term, long index) {}
