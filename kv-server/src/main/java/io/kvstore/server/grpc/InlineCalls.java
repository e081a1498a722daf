package io.kvstore.server.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.LockGrpc;
import io.kvstore.raft.proto.RaftTransportGrpc;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Which calls a node's gRPC server runs on its transport (Netty event-loop) thread, and which on a pool.
 * Give it to {@code ServerBuilder.callExecutor} of a server built with {@code directExecutor()}.
 *
 * <p>Why: a call handed to a pool costs a thread wake-up for each of its callbacks (method lookup, start,
 * message, half-close, close), and on a loaded 2-core machine every wake-up waits for a core. The KV
 * service, the lock service and the node-to-node Raft stream are on every request's path and their
 * handlers never block (they check a request, put it in a replica's mailbox or a lock's queue and return;
 * reads that touch RocksDB continue on the service executor, see {@link KvService}), so they run inline.
 * Every other service (leases, watches, membership, health, reflection) keeps a pool, since some of them
 * wait on monitors or on I/O.
 * Nothing that can block may be added to an inline service's handlers.
 */
public final class InlineCalls implements ServerCallExecutorSupplier {
  private static final Set<String> INLINE =
      Set.of(KVGrpc.SERVICE_NAME, LockGrpc.SERVICE_NAME, RaftTransportGrpc.SERVICE_NAME);

  private final Executor pool;

  /** @param pool runs every call of the services that are not inline */
  public InlineCalls(Executor pool) {
    this.pool = pool;
  }

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    // null keeps the server's own executor: the transport thread, since the server is directExecutor().
    return INLINE.contains(call.getMethodDescriptor().getServiceName()) ? null : pool;
  }
}
