package io.kvstore.server.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.kvstore.proto.v1.LimitExceeded;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.server.replica.NotLeaderException;
import io.kvstore.server.replica.ProposalQueueFullException;
import io.kvstore.server.replica.ResultUnknownException;
import io.kvstore.server.replica.ShardUnavailableException;
import io.kvstore.server.statemachine.RefusedException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The statuses the public services answer with, as {@code kv.proto} lists them, with the typed details of
 * {@code errors.proto} in the {@code google.rpc.Status} trailer. One place for every failure → status rule,
 * so every RPC maps the same failure the same way.
 */
public final class KvStatuses {
  /** What the failed call was: decides whether "retry with the same client id and sequence" applies. */
  public enum Kind {
    READ,
    WRITE
  }

  /** Where a shard's leader can be reached, for the NotLeader detail. */
  @FunctionalInterface
  public interface LeaderAddresses {
    /** The host:port of a node, or "" when unknown. */
    String addressOf(long nodeId);
  }

  static final String RETRY_IS_SAFE =
      "the write may or may not have been applied; retrying it with the same client_id and sequence is"
          + " safe (it is applied at most once)";

  private KvStatuses() {}

  public static StatusRuntimeException invalidArgument(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  /** INVALID_ARGUMENT with a {@link LimitExceeded} detail. */
  public static StatusRuntimeException limitExceeded(
      String message, String what, long limit, long actual) {
    return withDetail(
        Code.INVALID_ARGUMENT,
        message,
        LimitExceeded.newBuilder().setWhat(what).setLimit(limit).setActual(actual).build());
  }

  public static StatusRuntimeException failedPrecondition(String message) {
    return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
  }

  /** UNAVAILABLE with a {@link NotLeader} detail. */
  public static StatusRuntimeException notLeader(String message, NotLeader detail) {
    return withDetail(Code.UNAVAILABLE, message, detail);
  }

  /**
   * The status for a failure of a local replica call, a forward, or a deadline. A {@link
   * StatusRuntimeException} (e.g. from a forwarded call) passes through with its trailers.
   */
  public static StatusRuntimeException toStatus(
      Throwable failure, Kind kind, long epoch, LeaderAddresses addresses) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (cause instanceof io.grpc.StatusException se) {
      return new StatusRuntimeException(se.getStatus(), se.getTrailers());
    }
    if (cause instanceof NotLeaderException nl) {
      long leader = nl.leader().nodeId();
      return notLeader(
          nl.getMessage() + (nl.leader().known() ? "; retry there" : "; back off and retry"),
          NotLeader.newBuilder()
              .setShardId(nl.shardId())
              .setLeaderNodeId(leader)
              .setLeaderAddress(leader == 0 ? "" : addresses.addressOf(leader))
              .setTerm(nl.leader().term())
              .setEpoch(epoch)
              .build());
    }
    if (cause instanceof ShardUnavailableException su) {
      return notLeader(
          su.getMessage() + "; back off and retry",
          NotLeader.newBuilder().setEpoch(epoch).build());
    }
    if (cause instanceof RefusedException refused) {
      if (refused.reason() == RefusedException.Reason.OUTCOME_UNKNOWN) {
        return Status.FAILED_PRECONDITION.withDescription(refused.getMessage()).asRuntimeException();
      }
      return (refused.reason() == RefusedException.Reason.NOT_FOUND ? Status.NOT_FOUND : Status.FAILED_PRECONDITION)
          .withDescription(refused.getMessage() + "; nothing was changed")
          .asRuntimeException();
    }
    if (cause instanceof ProposalQueueFullException full) {
      return withDetail(
          Code.RESOURCE_EXHAUSTED,
          full.getMessage() + "; the shard is overloaded: back off and retry",
          LimitExceeded.newBuilder().setWhat("proposal_queue").build());
    }
    if (cause instanceof ResultUnknownException unknown) {
      return Status.UNAVAILABLE
          .withDescription(unknown.getMessage() + "; " + RETRY_IS_SAFE)
          .asRuntimeException();
    }
    if (cause instanceof TimeoutException) {
      return Status.DEADLINE_EXCEEDED
          .withDescription(
              kind == Kind.WRITE
                  ? "the deadline passed before the write was acknowledged; " + RETRY_IS_SAFE
                  : "the deadline passed before the read could be served; retry")
          .asRuntimeException();
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("the request was cancelled").asRuntimeException();
    }
    if (cause instanceof IllegalArgumentException iae) {
      return invalidArgument(iae.getMessage());
    }
    return Status.INTERNAL
        .withDescription("the node failed to serve the request: " + cause)
        .withCause(cause)
        .asRuntimeException();
  }

  /** The failure under the wrappers that CompletableFuture adds. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static StatusRuntimeException withDetail(
      Code code, String message, com.google.protobuf.Message detail) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(code.getNumber())
            .setMessage(message)
            .addDetails(Any.pack(detail))
            .build());
  }
}
