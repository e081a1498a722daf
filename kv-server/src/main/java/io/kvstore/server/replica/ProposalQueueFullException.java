package io.kvstore.server.replica;

/** Thrown (as a future's failure) when the shard's proposal queue is full: back-pressure, maps to RESOURCE_EXHAUSTED. */
public final class ProposalQueueFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ProposalQueueFullException(String message) {
    super(message);
  }
}
