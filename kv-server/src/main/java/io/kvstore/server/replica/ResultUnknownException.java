package io.kvstore.server.replica;

/** Thrown (as a future's failure) when the write may or may not have been committed (e.g. leadership lost after proposing). */
public final class ResultUnknownException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ResultUnknownException(String message) {
    super(message);
  }
}
