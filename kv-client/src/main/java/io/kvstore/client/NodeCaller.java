package io.kvstore.client;

import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.balance.LoadBalancer;
import io.kvstore.client.balance.Target;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends one unary RPC to one node over the pooled channel, and tells the load balancer when it starts and
 * ends (so "least outstanding" sees every request). Thread-safe; never blocks; the future completes on a
 * gRPC thread, failing with the call's StatusRuntimeException.
 */
final class NodeCaller {
  private final ChannelPool channels;
  private final LoadBalancer balancer;

  NodeCaller(ChannelPool channels, LoadBalancer balancer) {
    this.channels = channels;
    this.balancer = balancer;
  }

  <Req, Resp> CompletableFuture<Resp> unary(Target target, MethodDescriptor<Req, Resp> method, Req request,
      long timeoutNanos) {
    CompletableFuture<Resp> result = new CompletableFuture<>();
    String address = target.address();
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
