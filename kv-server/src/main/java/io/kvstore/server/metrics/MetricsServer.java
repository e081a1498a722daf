package io.kvstore.server.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The node's Prometheus endpoint: {@code GET /metrics} on its own HTTP port, with JVM metrics and
 * whatever the node's components register in {@link #registry()}.
 *
 * <p>Uses the Prometheus Java client's maintained line (prometheus-metrics 1.x). Each node has its own
 * registry rather than the process-wide default, so tests can run several nodes in one JVM.
 */
public final class MetricsServer implements AutoCloseable {
  private final PrometheusRegistry registry;
  private final HTTPServer server;

  private MetricsServer(PrometheusRegistry registry, HTTPServer server) {
    this.registry = registry;
    this.server = server;
  }

  /** Starts serving a new registry on {@code host:port} (port 0: any free port). */
  public static MetricsServer start(String host, int port) {
    return start(host, port, new PrometheusRegistry());
  }

  /** Starts serving {@code registry}, plus JVM metrics, on {@code host:port} (port 0: any free port). */
  public static MetricsServer start(String host, int port, PrometheusRegistry registry) {
    JvmMetrics.builder().register(registry);
    try {
      HTTPServer server =
          HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
      return new MetricsServer(registry, server);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve metrics on " + host + ":" + port + " (is the port in use?)", e);
    }
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
