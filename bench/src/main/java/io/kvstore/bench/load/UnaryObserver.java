package io.kvstore.bench.load;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The observer of one unary gRPC call, turned into a {@link CompletableFuture} of the converted response.
 * The future completes on the thread gRPC calls the observer on (the channel's executor).
 */
public final class UnaryObserver<R, T> implements StreamObserver<R> {
  private final CompletableFuture<T> future = new CompletableFuture<>();
  private final Function<R, T> convert;

  public UnaryObserver(Function<R, T> convert) {
    this.convert = convert;
  }

  public CompletableFuture<T> future() {
    return future;
  }

  @Override
  public void onNext(R response) {
    try {
      future.complete(convert.apply(response));
    } catch (RuntimeException e) {
      future.completeExceptionally(e);
    }
  }

  @Override
  public void onError(Throwable t) {
    future.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {
    if (!future.isDone()) {
      future.completeExceptionally(
          Status.INTERNAL.withDescription("unary call completed without a response").asException());
    }
  }
}
