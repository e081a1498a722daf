package io.kvstore.client;

import io.grpc.Status;

/**
 * A call of {@link KvClient} failed for good: the error was not retryable, or the retry policy gave up
 * (attempts used up or the deadline reached). The async API completes its futures exceptionally with this
 * exception (unwrapped); the blocking API throws it.
 *
 * <p>{@link #code()} is the gRPC status code that best describes the failure: the server's code for a
 * refused request (INVALID_ARGUMENT, FAILED_PRECONDITION, ...), UNAVAILABLE when no node could serve it,
 * DEADLINE_EXCEEDED when the call's deadline passed. A write that failed with UNAVAILABLE or
 * DEADLINE_EXCEEDED may or may not have been applied.
 */
public class KvException extends RuntimeException {
  private final Status.Code code;
  private final int attempts;
  private final boolean anyNodeAnswered;

  public KvException(Status.Code code, String message, int attempts, boolean anyNodeAnswered,
      Throwable cause) {
    super(message, cause);
    this.code = code;
    this.attempts = attempts;
    this.anyNodeAnswered = anyNodeAnswered;
  }

  public Status.Code code() {
    return code;
  }

  /** Attempts the client made before giving up. */
  public int attempts() {
    return attempts;
  }

  /**
   * Whether any node answered one of the attempts (with a result or an error of its own). False means the
   * cluster could not be reached at all: every attempt failed to connect or timed out.
   */
  public boolean anyNodeAnswered() {
    return anyNodeAnswered;
  }
}
