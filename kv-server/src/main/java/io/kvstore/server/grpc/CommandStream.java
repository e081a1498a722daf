package io.kvstore.server.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.batching.Burst;
import io.kvstore.client.batching.Coalescer;
import io.kvstore.proto.v1.Command;
import io.kvstore.proto.v1.CommandBatch;
import io.kvstore.proto.v1.CommandError;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.Result;
import io.kvstore.proto.v1.ResultBatch;
import io.kvstore.server.metrics.GrpcServerMetrics;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The node's side of one {@code KV.Commands} stream (kv.proto): every command runs exactly as its unary
 * call does in {@link KvService} (validation, routing, forwarding, statuses) and is answered by id.
 *
 * <p>Results that complete in one {@link Burst} (a worker round's answers run as one, see
 * {@code RaftWorker.handOff}) or while another thread is sending go out together, in one
 * {@link ResultBatch}. Under load one message carries many results; nobody waits for company, and no
 * thread is woken to send.
 *
 * <p>When the client half-closes, the stream ends once every command it sent was answered. When the
 * client goes away, answers are dropped (their commands still run: a write may apply, as with a unary call
 * whose client vanished). Thread-safe.
 */
final class CommandStream implements StreamObserver<CommandBatch> {
  /** Results and bytes per message at most (a larger result goes alone), far below gRPC's limits. */
  private static final int MAX_RESULTS_PER_BATCH = 1024;
  private static final long MAX_BYTES_PER_BATCH = 4 << 20;

  private final KvService kv;
  private final ServerCallStreamObserver<ResultBatch> out;
  private final GrpcServerMetrics metrics;
  private final Coalescer<Result> answered = new Coalescer<>(MAX_RESULTS_PER_BATCH, MAX_BYTES_PER_BATCH,
      Result::getSerializedSize, this::emit, this::endIfDone);
  /** Commands received and not yet answered. */
  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean halfClosed;
  /** Only by the coalescer's sink and {@code whenDrained}, which never run concurrently. */
  private boolean ended;

  CommandStream(KvService kv, ServerCallStreamObserver<ResultBatch> out, GrpcServerMetrics metrics) {
    this.kv = kv;
    this.out = out;
    this.metrics = metrics;
  }

  @Override
  public void onNext(CommandBatch batch) {
    // Commands refused at once (validation) answer inside this burst: one message for all of them.
    Burst.run(() -> batch.getCommandsList().forEach(this::run));
  }

  private void run(Command c) {
    running.incrementAndGet();
    long id = c.getId();
    long start = System.nanoTime();
    switch (c.getRequestCase()) {
      case GET -> kv.get(c.getGet(), answer(id, Result.Builder::setGet, KVGrpc.getGetMethod(), start));
      case PUT -> kv.put(c.getPut(), answer(id, Result.Builder::setPut, KVGrpc.getPutMethod(), start));
      case DELETE -> kv.delete(c.getDelete(),
          answer(id, Result.Builder::setDelete, KVGrpc.getDeleteMethod(), start));
      default -> finish(Result.newBuilder().setId(id).setError(CommandError.newBuilder()
          .setCode(Status.Code.INVALID_ARGUMENT.value())
          .setMessage("command " + id + " carries no get, put or delete request (is the client newer than"
              + " the node? a command this node does not know is refused, not ignored)")).build());
    }
  }

  @Override
  public void onError(Throwable t) {
    // The client cancelled or vanished: nobody reads the answers any more.
    halfClosed = true;
  }

  @Override
  public void onCompleted() {
    halfClosed = true;
    answered.flush();
  }

  /** The observer a unary handler answers one command through (counted as that unary call). */
  private <R> StreamObserver<R> answer(long id, BiConsumer<Result.Builder, R> set, MethodDescriptor<?, ?> method,
      long start) {
    return new StreamObserver<>() {
      private R value;

      @Override
      public void onNext(R v) {
        value = v;
      }

      @Override
      public void onError(Throwable t) {
        CommandError e = error(t);
        metrics.recordCommand(method, Status.fromCodeValue(e.getCode()).getCode(), start);
        finish(Result.newBuilder().setId(id).setError(e).build());
      }

      @Override
      public void onCompleted() {
        Result.Builder r = Result.newBuilder().setId(id);
        set.accept(r, value);
        metrics.recordCommand(method, Status.Code.OK, start);
        finish(r.build());
      }
    };
  }

  /** A failed call's status as the unary call's google.rpc.Status would carry it (details included). */
  static CommandError error(Throwable t) {
    com.google.rpc.Status detailed = StatusProto.fromThrowable(t);
    if (detailed != null) {
      return CommandError.newBuilder().setCode(detailed.getCode()).setMessage(detailed.getMessage())
          .setStatusDetails(detailed.toByteString()).build();
    }
    Status s = Status.fromThrowable(t);
    return CommandError.newBuilder().setCode(s.getCode().value())
        .setMessage(s.getDescription() == null ? "" : s.getDescription()).build();
  }

  private void finish(Result r) {
    answered.add(r);
    if (running.decrementAndGet() == 0 && halfClosed) {
      answered.flush(); // the last answer: end the stream once it is out
    }
  }

  private void emit(List<Result> results) {
    if (!ended && !out.isCancelled()) {
      try {
        out.onNext(ResultBatch.newBuilder().addAllResults(results).build());
      } catch (RuntimeException cancelled) {
        // The call ended under us (client gone): answers have nowhere to go.
      }
    }
  }

  /** After each drain: once the client half-closed and every command was answered, end the stream. */
  private void endIfDone() {
    // running is read before the queue: a command counted out was queued before (see finish).
    if (halfClosed && !ended && running.get() == 0 && answered.isEmpty()) {
      ended = true;
      try {
        if (!out.isCancelled()) {
          out.onCompleted();
        }
      } catch (RuntimeException cancelled) {
        // Already over.
      }
    }
  }
}
