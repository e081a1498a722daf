package io.kvstore.server.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/** Reads a node's {@code kvstore_grpc_server_requests_total} (see {@link GrpcServerMetrics}) in tests. */
public final class ServedCalls {
  private ServedCalls() {}

  /** Calls of {@code fullMethod} (e.g. "kvstore.v1.KV/Get") the node answered, any status. */
  public static long count(PrometheusRegistry registry, String fullMethod) {
    return count(registry, fullMethod, null);
  }

  /** Calls of {@code fullMethod} the node answered with status {@code code} ("OK", ...; null: any). */
  public static long count(PrometheusRegistry registry, String fullMethod, String code) {
    double total = 0;
    for (MetricSnapshot s : registry.scrape()) {
      if (s instanceof CounterSnapshot c && c.getMetadata().getName().equals("kvstore_grpc_server_requests")) {
        for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
          if (fullMethod.equals(p.getLabels().get("method"))
              && (code == null || code.equals(p.getLabels().get("code")))) {
            total += p.getValue();
          }
        }
      }
    }
    return (long) total;
  }
}
