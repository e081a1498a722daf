package io.kvstore.server.transport;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.kvstore.raft.proto.RaftTransportGrpc;
import java.util.concurrent.Executor;

/**
 * Runs the node-to-node {@code RaftTransport} calls on gRPC's transport (event-loop) thread instead of
 * the server's executor; every other call keeps the executor ({@code null} here means "the default").
 * Give it to the server builder's {@code callExecutor}.
 *
 * <p>Why: {@link RaftTransportService} only checks a batch and puts its messages into the worker loops'
 * mailboxes, which never blocks. Handing each batch to another thread first costs a thread wake-up per
 * batch, and a write crosses this path twice (the leader's append to a follower, the follower's
 * acknowledgement back): on a busy machine each wake-up waits for a core. Nothing slow may be added to
 * {@link RaftTransportService#send}'s observer while this is in use.
 */
public final class RaftCallExecutor implements ServerCallExecutorSupplier {
  private static final Executor DIRECT = Runnable::run;

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata metadata) {
    return RaftTransportGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName()) ? DIRECT : null;
  }
}
