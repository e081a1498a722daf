package io.kvstore.server.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;

/**
 * Stands in for a service while the node starts (RocksDB recovery, replicas starting): every call is
 * answered UNAVAILABLE with a message saying so, rather than UNIMPLEMENTED, so clients retry as they
 * would for any unavailable node. The real service replaces it in the node's handler registry.
 */
public final class NotReadyService {
  private NotReadyService() {}

  /** A definition of {@code service} whose every unary method answers UNAVAILABLE. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static ServerServiceDefinition of(ServiceDescriptor service, String why) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service);
    for (MethodDescriptor<?, ?> m : service.getMethods()) {
      MethodDescriptor raw = m;
      b.addMethod(
          raw,
          ServerCalls.asyncUnaryCall(
              (request, response) ->
                  response.onError(
                      Status.UNAVAILABLE
                          .withDescription(why + "; retry shortly")
                          .asRuntimeException())));
    }
    return b.build();
  }
}
