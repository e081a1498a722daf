package io.kvstore.server.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A server interceptor that counts every gRPC call the node answers and times it, by full method name
 * ({@code kvstore.v1.KV/Put}) and status code ({@code OK}, {@code UNAVAILABLE}, ...):
 * <ul>
 *   <li>{@code kvstore_grpc_server_requests_total{method, code}}</li>
 *   <li>{@code kvstore_grpc_server_request_duration_seconds{method, code}}: from the call's start to its
 *       close, a classic histogram with buckets from 100 µs to 10 s.</li>
 * </ul>
 * Streams (the node-to-node Raft transport) are counted once, when they end. A command of the
 * {@code KV.Commands} stream is counted as the unary call it stands for ({@link #recordCommand}), so a
 * dashboard of Get/Put/Delete rates and latencies reads the same whichever way clients send them.
 *
 * <p>Thread-safe; adds no blocking to the call path.
 */
public final class GrpcServerMetrics implements ServerInterceptor {
  private final Counter requests;
  private final Histogram latency;

  public GrpcServerMetrics(PrometheusRegistry registry) {
    requests =
        Counter.builder()
            .name("kvstore_grpc_server_requests_total")
            .help("gRPC calls answered by this node, by method and status code")
            .labelNames("method", "code")
            .register(registry);
    latency =
        Histogram.builder()
            .name("kvstore_grpc_server_request_duration_seconds")
            .unit(Unit.SECONDS)
            .help("Time from a gRPC call's start to its close, by method and status code")
            .labelNames("method", "code")
            .classicOnly()
            .classicUpperBounds(
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                2.5, 5, 10)
            .register(registry);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    AtomicBoolean recorded = new AtomicBoolean();
    Runnable cancelled = () -> record(recorded, method, Status.Code.CANCELLED, start);
    ServerCall.Listener<Q> listener =
        next.startCall(
            new SimpleForwardingServerCall<>(call) {
              @Override
              public void close(Status status, Metadata trailers) {
                record(recorded, method, status.getCode(), start);
                super.close(status, trailers);
              }
            },
            headers);
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        // The client went away or its deadline passed before the node answered.
        cancelled.run();
        super.onCancel();
      }
    };
  }

  /** One command of a command stream, answered: counted and timed as its unary method. */
  public void recordCommand(MethodDescriptor<?, ?> unaryMethod, Status.Code code, long startNanos) {
    observe(unaryMethod.getFullMethodName(), code, startNanos);
  }

  private void record(AtomicBoolean recorded, String method, Status.Code code, long start) {
    if (recorded.compareAndSet(false, true)) {
      observe(method, code, start);
    }
  }

  private void observe(String method, Status.Code code, long start) {
    requests.labelValues(method, code.name()).inc();
    latency.labelValues(method, code.name()).observe((System.nanoTime() - start) / 1e9);
  }
}
