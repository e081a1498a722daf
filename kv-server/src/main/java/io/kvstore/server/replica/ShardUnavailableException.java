package io.kvstore.server.replica;

/** Thrown (as a future's failure) when no replica of the shard on this node, or it is stopped. */
public final class ShardUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ShardUnavailableException(String message) {
    super(message);
  }
}
