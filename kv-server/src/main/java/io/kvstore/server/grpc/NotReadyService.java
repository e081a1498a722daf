package io.kvstore.server.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;

/**
 * Stands in for a service while the node starts (RocksDB recovery, replicas starting): every call is
 * answered UNAVAILABLE with a message saying so, rather than UNIMPLEMENTED, so clients retry as they
 * would for any unavailable node. The real service replaces it in the node's handler registry.
 *
 * <p>Calls are closed as they start, before any request arrives, whatever the method's type: a unary
 * handler serving the streaming KV.Commands answered UNKNOWN, which clients do not retry, so every call
 * on a stream opened to a node while it started failed.
 */
public final class NotReadyService {
  private NotReadyService() {}

  /** A definition of {@code service} whose every method, unary or streaming, answers UNAVAILABLE. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static ServerServiceDefinition of(ServiceDescriptor service, String why) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service);
    Status unavailable = Status.UNAVAILABLE.withDescription(why + "; retry shortly");
    ServerCallHandler refuse = (call, headers) -> {
      call.close(unavailable, new Metadata());
      return new ServerCall.Listener<>() {};
    };
    for (MethodDescriptor<?, ?> m : service.getMethods()) {
      b.addMethod((MethodDescriptor) m, refuse);
    }
    return b.build();
  }
}
