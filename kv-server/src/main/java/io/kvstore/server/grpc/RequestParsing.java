package io.kvstore.server.grpc;

import io.grpc.Attributes;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers a request body that is not a valid protobuf message with INVALID_ARGUMENT, naming the method
 * and the message type (kv.proto: a malformed request is INVALID_ARGUMENT).
 *
 * <p>Why a wrapper: grpc-java parses a request before any interceptor or service sees it, and closes a
 * call whose parse threw with UNKNOWN "Application error processing RPC", which says neither what was
 * wrong nor that retrying cannot help. Here each method is served with a request "marshaller" that hands
 * the bytes through unparsed; the call's listener parses them itself (while gRPC still holds the stream,
 * so nothing is copied) and refuses what does not decode. The service behind it sees its usual typed call.
 *
 * <p>Applies to a whole {@link HandlerRegistry} (the node's services) or one service definition (health,
 * reflection). Thread-safe.
 */
public final class RequestParsing {
  private RequestParsing() {}

  /** Hands the request bytes through; the stream is parsed (and closed by gRPC) during onMessage. */
  private static final MethodDescriptor.Marshaller<InputStream> UNPARSED = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  /** {@code service} with every method's requests parsed by {@link RequestParsing}. */
  public static ServerServiceDefinition strict(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = service.getMethods().stream()
        .<ServerMethodDefinition<?, ?>>map(RequestParsing::strict).toList();
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  /** A registry that looks methods up in {@code registry} and serves them with strict parsing. */
  public static HandlerRegistry strict(HandlerRegistry registry) {
    return new HandlerRegistry() {
      /** One wrapper per definition the registry hands out (services are few and long-lived). */
      private final Map<ServerMethodDefinition<?, ?>, ServerMethodDefinition<?, ?>> wrapped =
          new ConcurrentHashMap<>();

      @Override
      public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        ServerMethodDefinition<?, ?> m = registry.lookupMethod(methodName, authority);
        if (m == null) {
          return null;
        }
        if (wrapped.size() > 4096) {
          wrapped.clear(); // replaced services leave old definitions behind; never let them pile up
        }
        return wrapped.computeIfAbsent(m, RequestParsing::strict);
      }

      @Override
      public List<ServerServiceDefinition> getServices() {
        return registry.getServices();
      }
    };
  }

  static <Q, R> ServerMethodDefinition<InputStream, R> strict(ServerMethodDefinition<Q, R> definition) {
    MethodDescriptor<Q, R> method = definition.getMethodDescriptor();
    MethodDescriptor<InputStream, R> unparsed = method.toBuilder(UNPARSED, method.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = definition.getServerCallHandler();
    return ServerMethodDefinition.create(unparsed, (call, headers) -> {
      ServerCall.Listener<Q> typed = handler.startCall(new TypedCall<>(call, method), headers);
      return new ParsingListener<>(call, method, typed);
    });
  }

  /** Parses each request; the first that does not decode closes the call, and nothing more is passed on. */
  private static final class ParsingListener<Q, R> extends ServerCall.Listener<InputStream> {
    private final ServerCall<InputStream, R> call;
    private final MethodDescriptor<Q, R> method;
    private final ServerCall.Listener<Q> next;
    private boolean refused;

    ParsingListener(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method, ServerCall.Listener<Q> next) {
      this.call = call;
      this.method = method;
      this.next = next;
    }

    @Override
    public void onMessage(InputStream body) {
      if (refused) {
        return;
      }
      Q request;
      try {
        request = method.parseRequest(body);
      } catch (RuntimeException e) {
        refused = true;
        call.close(Status.INVALID_ARGUMENT.withDescription("the request body of " + method.getFullMethodName()
            + " is not a valid " + messageType(method) + " protobuf message (" + reason(e)
            + "); send the message your generated stub builds from the .proto files"), new Metadata());
        return;
      }
      next.onMessage(request);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        next.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      next.onCancel();
    }

    @Override
    public void onComplete() {
      next.onComplete();
    }

    @Override
    public void onReady() {
      if (!refused) {
        next.onReady();
      }
    }
  }

  private static String messageType(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof com.google.protobuf.Message m) {
      return m.getDescriptorForType().getFullName();
    }
    return "request";
  }

  private static String reason(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return String.valueOf(c.getMessage());
  }

  /** The call as the service sees it: its own typed descriptor, everything else the transport's call. */
  private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<InputStream, R> call;
    private final MethodDescriptor<Q, R> method;

    TypedCall(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      call.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
