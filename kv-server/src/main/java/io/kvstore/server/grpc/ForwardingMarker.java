package io.kvstore.server.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * The metadata a node adds to a request it forwards ({@value #HEADER}: the forwarding node's id), and the
 * server interceptor that exposes it to the services. A request that carries the marker is never
 * forwarded again, so a forward loop between two nodes with stale leader hints cannot happen: the second
 * node answers UNAVAILABLE with a NotLeader detail instead.
 */
public final class ForwardingMarker implements ServerInterceptor {
  public static final String HEADER = "kvstore-forwarded-by";
  static final Metadata.Key<String> KEY = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Long> FORWARDED_BY = Context.key("kvstore-forwarded-by");

  /** The metadata that marks a request forwarded by node {@code selfId}. */
  static Metadata headersFrom(long selfId) {
    Metadata md = new Metadata();
    md.put(KEY, Long.toString(selfId));
    return md;
  }

  /** The id of the node that forwarded the current request, or 0 when a client sent it directly. */
  static long forwardedBy() {
    Long id = FORWARDED_BY.get();
    return id == null ? 0 : id;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String value = headers.get(KEY);
    if (value == null) {
      return next.startCall(call, headers);
    }
    long from;
    try {
      from = Long.parseLong(value);
    } catch (NumberFormatException e) {
      from = -1; // still marked: never forward it again
    }
    return Contexts.interceptCall(
        Context.current().withValue(FORWARDED_BY, from), call, headers, next);
  }
}
