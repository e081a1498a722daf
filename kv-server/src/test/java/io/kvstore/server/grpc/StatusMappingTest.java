package io.kvstore.server.grpc;

import static io.kvstore.server.grpc.Statuses.code;
import static io.kvstore.server.grpc.Statuses.detail;
import static io.kvstore.server.grpc.Statuses.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kvstore.proto.v1.LimitExceeded;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.server.replica.ProposalQueueFullException;
import io.kvstore.server.replica.ResultUnknownException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replicas' failures reach the client as the statuses kv.proto documents. */
class StatusMappingTest {
  @TempDir Path dir;
  private FakeCluster cluster;

  @BeforeEach
  void start() {
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 1L);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private StatusRuntimeException put() {
    return failure(
        () ->
            cluster
                .kv(1)
                .put(
                    PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("k"))
                        .setValue(ByteString.copyFromUtf8("v"))
                        .build()));
  }

  @Test
  void aFullProposalQueueIsResourceExhausted() {
    cluster.replicas(1).proposeOverride =
        () -> CompletableFuture.failedFuture(new ProposalQueueFullException("shard 3 has 4096 proposals pending"));
    StatusRuntimeException e = put();
    assertThat(code(e)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("4096 proposals pending").contains("back off");
    assertThat(detail(e, LimitExceeded.class).getWhat()).isEqualTo("proposal_queue");
  }

  @Test
  void anUnknownResultSaysARetryWithTheSameSequenceIsSafe() {
    cluster.replicas(1).proposeOverride =
        () -> CompletableFuture.failedFuture(new ResultUnknownException("leadership lost after proposing"));
    StatusRuntimeException e = put();
    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .contains("leadership lost")
        .contains("same client_id and sequence");
  }

  @Test
  void anUnexpectedFailureIsInternalAndNamesTheCause() {
    cluster.replicas(1).proposeOverride =
        () -> CompletableFuture.failedFuture(new IllegalStateException("disk on fire"));
    StatusRuntimeException e = put();
    assertThat(code(e)).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).contains("disk on fire");
  }

  @Test
  void aDeadlineInsideTheNodeIsDeadlineExceededForWrites() {
    Throwable mapped =
        KvStatuses.toStatus(
            new java.util.concurrent.CompletionException(new java.util.concurrent.TimeoutException()),
            KvStatuses.Kind.WRITE,
            1,
            id -> "");
    assertThat(((StatusRuntimeException) mapped).getStatus().getCode())
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(((StatusRuntimeException) mapped).getStatus().getDescription())
        .contains("same client_id and sequence");
  }
}
