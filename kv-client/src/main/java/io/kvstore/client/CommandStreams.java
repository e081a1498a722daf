package io.kvstore.client;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.batching.Burst;
import io.kvstore.client.batching.Coalescer;
import io.kvstore.proto.v1.Command;
import io.kvstore.proto.v1.CommandBatch;
import io.kvstore.proto.v1.CommandError;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.Result;
import io.kvstore.proto.v1.ResultBatch;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Get, Put and Delete calls over {@code KV.Commands} (kv.proto): one long-lived stream per node, in place
 * of one HTTP/2 stream (headers, trailers, call objects on both ends) per call. Calls made in one
 * {@link Burst} (e.g. by the callbacks of the results one message brought) or while another thread is
 * sending go out together in one {@link CommandBatch}; nobody waits to gather company.
 *
 * <p>A call answers exactly as the unary call would: the response, or a {@link StatusRuntimeException}
 * with the same code, message and typed details (a node puts the unary call's google.rpc.Status into the
 * result), and DEADLINE_EXCEEDED when no answer came within the attempt's timeout. So the routing and
 * retry logic above cannot tell the two apart. A broken stream fails its calls with its status (they are
 * retried like any failed attempt) and the next call opens a new one. A node that does not know the method
 * (UNIMPLEMENTED: an older node) gets unary calls from then on, the calls in flight included.
 *
 * <p>Thread-safe; never blocks.
 */
final class CommandStreams {
  private final ChannelPool channels;
  private final Map<String, Stream> streams = new ConcurrentHashMap<>();
  private final Set<String> unaryOnly = ConcurrentHashMap.newKeySet();

  CommandStreams(ChannelPool channels) {
    this.channels = channels;
  }

  /** Thrown (in the future) for a call that must go unary instead: the node does not know the method. */
  static final class Unsupported extends RuntimeException {
    Unsupported() {
      super("the node does not serve KV.Commands", null, false, false);
    }
  }

  /**
   * The call as a command, or null when {@code method} does not travel on the stream or the node at
   * {@code address} does not serve it.
   */
  Command.Builder commandFor(String address, MethodDescriptor<?, ?> method, Message request) {
    if (unaryOnly.contains(address)) {
      return null;
    }
    if (method == KVGrpc.getPutMethod()) {
      return Command.newBuilder().setPut((PutRequest) request);
    } else if (method == KVGrpc.getGetMethod()) {
      return Command.newBuilder().setGet((GetRequest) request);
    } else if (method == KVGrpc.getDeleteMethod()) {
      return Command.newBuilder().setDelete((DeleteRequest) request);
    }
    return null;
  }

  /** The response of the command's call (as a unary call's future would complete; see the class comment). */
  @SuppressWarnings("unchecked")
  <Resp> CompletableFuture<Resp> call(String address, Command.Builder command, long timeoutNanos) {
    CompletableFuture<Result> answer = new CompletableFuture<>();
    Stream s = streams.computeIfAbsent(address, Stream::new);
    long id = s.send(command, answer);
    return answer
        .orTimeout(Math.max(1, timeoutNanos), TimeUnit.NANOSECONDS)
        .handle((r, failure) -> {
          if (failure != null) {
            if (failure instanceof TimeoutException) {
              s.forget(id);
              throw Status.DEADLINE_EXCEEDED.withDescription("no answer from " + address + " within "
                  + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms").asRuntimeException();
            }
            throw failure instanceof RuntimeException re ? re : new RuntimeException(failure);
          }
          return (Resp) switch (r.getOutcomeCase()) {
            case GET -> r.getGet();
            case PUT -> r.getPut();
            case DELETE -> r.getDelete();
            case ERROR -> throw asException(r.getError());
            case OUTCOME_NOT_SET -> throw Status.INTERNAL.withDescription("the node at " + address
                + " answered command " + id + " with no outcome").asRuntimeException();
          };
        });
  }

  /**
   * Half-closes every stream: the node answers what it has and then ends the stream, so the channel can
   * shut down gracefully at once (an open stream would hold it until the pool's grace period ran out).
   */
  void close() {
    streams.values().forEach(Stream::halfClose);
  }

  /** The StatusRuntimeException the unary call would have failed with (trailer details included). */
  static StatusRuntimeException asException(CommandError e) {
    if (!e.getStatusDetails().isEmpty()) {
      try {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.parseFrom(e.getStatusDetails()));
      } catch (com.google.protobuf.InvalidProtocolBufferException undecodable) {
        // Fall back to code and message: the details are a help, the status is what matters.
      }
    }
    return Status.fromCodeValue(e.getCode()).withDescription(e.getMessage()).asRuntimeException();
  }

  /** One node's stream; replaced by a new one once it breaks. */
  private final class Stream implements StreamObserver<ResultBatch> {
    private final String address;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<Result>> waiting = new ConcurrentHashMap<>();
    private final Coalescer<Command> outbox = new Coalescer<>(1024, 4 << 20, Command::getSerializedSize,
        this::sendBatch, () -> {});
    private final ClientCallStreamObserver<CommandBatch> requests;
    private volatile RuntimeException broken;
    private volatile boolean halfClosed;

    Stream(String address) {
      this.address = address;
      // The stream outlives any one call: no deadline of its own (each command has its timeout).
      this.requests = (ClientCallStreamObserver<CommandBatch>) ClientCalls.asyncBidiStreamingCall(
          channels.channel(address).newCall(KVGrpc.getCommandsMethod(), CallOptions.DEFAULT), this);
    }

    long send(Command.Builder command, CompletableFuture<Result> answer) {
      long id = ids.incrementAndGet();
      waiting.put(id, answer);
      RuntimeException b = broken != null ? broken : halfClosed
          ? Status.UNAVAILABLE.withDescription("the client is closing").asRuntimeException() : null;
      if (b != null) { // broke before we were listed: fail (or leave to breakDown, whichever removes it)
        if (waiting.remove(id) != null) {
          answer.completeExceptionally(b);
        }
        return id;
      }
      outbox.add(command.setId(id).build());
      return id;
    }

    void forget(long id) {
      waiting.remove(id);
    }

    /** Synchronized with {@link #halfClose}: a gRPC call's request side is not thread-safe. */
    private synchronized void sendBatch(java.util.List<Command> commands) {
      if (broken != null || halfClosed) {
        return; // every call waiting was failed, or the client is closing
      }
      try {
        requests.onNext(CommandBatch.newBuilder().addAllCommands(commands).build());
      } catch (RuntimeException e) {
        breakDown(Status.UNAVAILABLE.withDescription("the command stream to " + address + " failed: " + e)
            .withCause(e).asRuntimeException());
      }
    }

    synchronized void halfClose() {
      streams.remove(address, this); // a later call opens a new stream (or learns the client is closed)
      if (!halfClosed && broken == null) {
        halfClosed = true;
        try {
          requests.onCompleted();
        } catch (RuntimeException ignored) {
          // Already over.
        }
      }
    }

    @Override
    public void onNext(ResultBatch batch) {
      // Calls that the completed ones' callbacks make on this thread leave together, at the end.
      Burst.run(() -> {
        for (Result r : batch.getResultsList()) {
          CompletableFuture<Result> f = waiting.remove(r.getId());
          if (f != null) {
            f.complete(r);
          }
        }
      });
    }

    @Override
    public void onError(Throwable t) {
      Status s = Status.fromThrowable(t);
      if (s.getCode() == Status.Code.UNIMPLEMENTED) {
        unaryOnly.add(address);
        breakDown(new Unsupported());
      } else {
        breakDown(t instanceof StatusRuntimeException sre ? sre : s.asRuntimeException());
      }
    }

    @Override
    public void onCompleted() {
      breakDown(Status.UNAVAILABLE.withDescription("the node at " + address + " ended the command stream")
          .asRuntimeException());
    }

    /** Fails every call waiting on this stream; the next call opens a new stream. */
    private void breakDown(RuntimeException why) {
      broken = why;
      streams.remove(address, this);
      for (Long id : waiting.keySet()) {
        CompletableFuture<Result> f = waiting.remove(id);
        if (f != null) {
          f.completeExceptionally(why);
        }
      }
      try {
        requests.cancel("command stream broken", null);
      } catch (RuntimeException ignored) {
        // Already over.
      }
    }
  }
}
