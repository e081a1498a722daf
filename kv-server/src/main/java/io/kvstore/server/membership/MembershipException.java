package io.kvstore.server.membership;

import io.grpc.Status;

/**
 * A membership request refused for a reason the caller can act on; {@link #code} is the gRPC status the
 * Cluster service answers with, the message says what to do.
 */
public final class MembershipException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Status.Code code;

  public MembershipException(Status.Code code, String message) {
    super(message);
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }

  /** The gRPC status to answer with. */
  public io.grpc.StatusRuntimeException toStatus() {
    return Status.fromCode(code).withDescription(getMessage()).asRuntimeException();
  }
}
