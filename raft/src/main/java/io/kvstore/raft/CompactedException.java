package io.kvstore.raft;

/** Thrown by {@link LogStorage}; see its contract. */
public class CompactedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CompactedException(String message) {
    super(message);
  }

  public CompactedException(String message, Throwable cause) {
    super(message, cause);
  }
}
