package io.kvstore.raft;

/**
 * The answer to a {@link RawNode#readIndex(byte[])} request (Raft §6.4): a read with this context is
 * linearizable once the local state machine has applied {@code index}. The driver waits until its applied
 * index reaches {@code index}, then serves the read from its state machine.
 *
 * @param index the commit index the read must wait for
 * @param context the caller's request id, as passed to {@code readIndex}
 * @param lease true when answered by the leader lease (no heartbeat round; see {@link Config#leaseRead()})
 */
public record ReadState(long index, byte[] context, boolean lease) {}
