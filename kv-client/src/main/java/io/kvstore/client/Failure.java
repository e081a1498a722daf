package io.kvstore.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.kvstore.proto.v1.LimitExceeded;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.proto.v1.StaleEpoch;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What one failed attempt means for the next one: the gRPC status, the typed detail the node sent
 * ({@code errors.proto}), and from them whether to retry, at once or after a backoff.
 *
 * @param kind the decision class
 * @param status the attempt's status
 * @param notLeader the NotLeader detail, when the node sent one
 * @param answered whether a node produced this failure (false: connecting or waiting for it failed)
 */
public record Failure(Kind kind, Status status, Optional<NotLeader> notLeader, boolean answered) {

  /** How the client reacts to a failed attempt. */
  public enum Kind {
    /** The node named the shard's leader: update the route and retry there at once. */
    REDIRECT,
    /** The shard has no leader right now (election): back off, retry at any replica. */
    NO_LEADER,
    /** The node could not be reached or is shutting down: back off, retry at another node. */
    NODE_UNAVAILABLE,
    /** The request was routed with an old cluster map: fetch the map, then retry at once. */
    STALE_EPOCH,
    /** The attempt's own timeout passed while the call still has time: retry elsewhere. */
    ATTEMPT_TIMEOUT,
    /** The node is overloaded (a full proposal queue): back off, retry. */
    BUSY,
    /** The request itself was refused (bad argument, failed precondition, ...): do not retry. */
    FATAL;

    /** Whether this kind may be retried at all. */
    public boolean retryable() {
      return this != FATAL;
    }
  }

  /** The status of a gRPC failure, unwrapping CompletionException and ExecutionException. */
  public static Status statusOf(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof StatusRuntimeException sre) {
      return sre.getStatus();
    }
    if (c instanceof StatusException se) {
      return se.getStatus();
    }
    return Status.fromThrowable(c);
  }

  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** Classifies a failed attempt. */
  public static Failure classify(Throwable t) {
    Throwable c = unwrap(t);
    Status status = statusOf(c);
    Optional<NotLeader> notLeader = detail(c, NotLeader.class);
    switch (status.getCode()) {
      case UNAVAILABLE:
        if (notLeader.isPresent()) {
          boolean known = notLeader.get().getLeaderNodeId() != 0 || !notLeader.get().getLeaderAddress().isEmpty();
          return new Failure(known ? Kind.REDIRECT : Kind.NO_LEADER, status, notLeader, true);
        }
        // A connection failure carries its I/O cause; an UNAVAILABLE sent by a node (no leader, shutting
        // down) does not.
        return new Failure(Kind.NODE_UNAVAILABLE, status, notLeader, status.getCause() == null);
      case FAILED_PRECONDITION:
        if (detail(c, StaleEpoch.class).isPresent()) {
          return new Failure(Kind.STALE_EPOCH, status, notLeader, true);
        }
        return new Failure(Kind.FATAL, status, notLeader, true);
      case DEADLINE_EXCEEDED:
        return new Failure(Kind.ATTEMPT_TIMEOUT, status, notLeader, false);
      case RESOURCE_EXHAUSTED: {
        Optional<LimitExceeded> limit = detail(c, LimitExceeded.class);
        boolean queueFull = limit.map(l -> l.getWhat().equals("proposal_queue")).orElse(true);
        boolean tooLarge = status.getDescription() != null && status.getDescription().contains("larger than");
        return new Failure(queueFull && !tooLarge ? Kind.BUSY : Kind.FATAL, status, notLeader, true);
      }
      case ABORTED:
        return new Failure(Kind.BUSY, status, notLeader, true);
      case CANCELLED:
        // The client never cancels an attempt it still waits for (a call its caller cancelled is not
        // retried: see Retrier), so this is the node going away mid-call (RST_STREAM on shutdown). A write
        // retried with its sequence number is applied at most once.
        return new Failure(Kind.NODE_UNAVAILABLE, status, notLeader, false);
      default:
        return new Failure(Kind.FATAL, status, notLeader, true);
    }
  }

  /** The first detail of {@code type} in the google.rpc.Status of {@code t}, if any. */
  static <T extends com.google.protobuf.Message> Optional<T> detail(Throwable t, Class<T> type) {
    com.google.rpc.Status rpc = StatusProto.fromThrowable(t);
    if (rpc == null) {
      return Optional.empty();
    }
    for (Any any : rpc.getDetailsList()) {
      if (any.is(type)) {
        try {
          return Optional.of(any.unpack(type));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** A one-line description: code, description. */
  public String describe() {
    String d = status.getDescription();
    if (d == null && status.getCause() != null) {
      d = status.getCause().getMessage();
    }
    return status.getCode() + (d == null ? "" : ": " + d);
  }
}
