package io.kvstore.client;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.balance.LoadBalancer;
import io.kvstore.client.balance.Target;
import io.kvstore.proto.v1.Command;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends one call to one node over the pooled channel, and tells the load balancer when it starts and
 * ends (so "least outstanding" sees every request). Get, Put and Delete travel on the node's command
 * stream when the client uses them ({@link CommandStreams}), every other method as a unary RPC; either
 * way the future completes on a gRPC thread the same way, failing with the call's
 * StatusRuntimeException. Thread-safe; never blocks.
 */
final class NodeCaller {
  private final ChannelPool channels;
  private final LoadBalancer balancer;
  /** Null when the client sends every call unary. */
  private final CommandStreams streams;

  NodeCaller(ChannelPool channels, LoadBalancer balancer, boolean commandStreams) {
    this.channels = channels;
    this.balancer = balancer;
    this.streams = commandStreams ? new CommandStreams(channels) : null;
  }

  <Req, Resp> CompletableFuture<Resp> unary(Target target, MethodDescriptor<Req, Resp> method, Req request,
      long timeoutNanos) {
    String address = target.address();
    Command.Builder command = streams == null || !(request instanceof Message m) ? null
        : streams.commandFor(address, method, m);
    if (command == null) {
      return unaryCall(address, method, request, timeoutNanos);
    }
    balancer.onStart(address);
    return streams.<Resp>call(address, command, timeoutNanos)
        .whenComplete((r, e) -> balancer.onFinish(address))
        .exceptionallyCompose(e -> unwrap(e) instanceof CommandStreams.Unsupported
            ? unaryCall(address, method, request, timeoutNanos) : CompletableFuture.failedFuture(unwrap(e)));
  }

  /** Ends the command streams gracefully (before the channels close). */
  void close() {
    if (streams != null) {
      streams.close();
    }
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  private <Req, Resp> CompletableFuture<Resp> unaryCall(String address, MethodDescriptor<Req, Resp> method,
      Req request, long timeoutNanos) {
    CompletableFuture<Resp> result = new CompletableFuture<>();
    var call = channels.channel(address)
        .newCall(method, CallOptions.DEFAULT.withDeadlineAfter(Math.max(1, timeoutNanos), TimeUnit.NANOSECONDS));
    balancer.onStart(address);
    try {
      ClientCalls.asyncUnaryCall(call, request, new StreamObserver<Resp>() {
        Resp value;

        @Override
        public void onNext(Resp v) {
          value = v;
        }

        @Override
        public void onError(Throwable t) {
          balancer.onFinish(address);
          result.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
          balancer.onFinish(address);
          result.complete(value);
        }
      });
    } catch (RuntimeException e) {
      balancer.onFinish(address);
      result.completeExceptionally(e);
    }
    return result;
  }
}
