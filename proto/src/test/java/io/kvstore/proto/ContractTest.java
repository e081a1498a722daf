package io.kvstore.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.NotLeader;
import io.kvstore.raft.proto.GroupMessage;
import io.kvstore.raft.proto.Message;
import io.kvstore.raft.proto.MessageType;
import io.kvstore.raft.proto.RaftBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract as other languages and clients see it. */
class ContractTest {

  @Test
  void readsAreLinearizableUnlessAskedOtherwise() {
    assertThat(GetRequest.getDefaultInstance().getConsistency())
        .isEqualTo(Consistency.CONSISTENCY_LINEARIZABLE);
  }

  @Test
  void compareAndSwapCarriesExactlyOneExpectation() {
    CompareAndSwapRequest byVersion =
        CompareAndSwapRequest.newBuilder().setExpectedValue(com.google.protobuf.ByteString.copyFromUtf8("a"))
            .setExpectedVersion(0)
            .build();
    // The oneof keeps only the last one set: expected_version = 0, "the key must not exist".
    assertThat(byVersion.getExpectedCase()).isEqualTo(CompareAndSwapRequest.ExpectedCase.EXPECTED_VERSION);
  }

  @Test
  void wrongLeaderDetailSurvivesTheGrpcStatusRoundTrip() {
    NotLeader hint =
        NotLeader.newBuilder()
            .setShardId(12)
            .setLeaderNodeId(3)
            .setLeaderAddress("127.0.0.1:7003")
            .setTerm(9)
            .build();
    StatusRuntimeException error =
        StatusProto.toStatusRuntimeException(
            com.google.rpc.Status.newBuilder()
                .setCode(Code.UNAVAILABLE_VALUE)
                .setMessage("node 1 does not lead shard 12; its leader is node 3 at 127.0.0.1:7003")
                .addDetails(Any.pack(hint))
                .build());

    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    com.google.rpc.Status decoded = StatusProto.fromThrowable(error);
    assertThat(decoded).isNotNull();
    assertThat(decoded.getDetailsList()).anySatisfy(d -> assertThat(d.is(NotLeader.class)).isTrue());
  }

  @Test
  void raftBatchCarriesManyGroupsMessages() throws Exception {
    RaftBatch batch =
        RaftBatch.newBuilder()
            .setClusterId("c")
            .setFromNode(1)
            .setToNode(2)
            .addMessages(
                GroupMessage.newBuilder()
                    .setGroupId(5)
                    .setMessage(Message.newBuilder().setType(MessageType.MSG_HEARTBEAT).setTerm(3)))
            .addMessages(
                GroupMessage.newBuilder()
                    .setGroupId(6)
                    .setMessage(Message.newBuilder().setType(MessageType.MSG_APPEND).setTerm(4)))
            .build();
    RaftBatch back = RaftBatch.parseFrom(batch.toByteArray());
    assertThat(back).isEqualTo(batch);
    assertThat(back.getMessagesList()).extracting(GroupMessage::getGroupId).containsExactly(5L, 6L);
  }

  @Test
  void kvServiceHasEveryOperationOfTheContract() {
    assertThat(KVGrpc.getServiceDescriptor().getMethods())
        .extracting(m -> m.getBareMethodName())
        .containsExactlyInAnyOrder(
            "Get", "Put", "Delete", "CompareAndSwap", "Txn", "Scan", "BatchGet", "BatchPut",
            "Commands");
  }

  /**
   * Another language's generator must be able to use the .proto files with protoc alone: no Java-only
   * options required, no imports from outside the folder. protoc's built-in Python generator stands in
   * for "another language".
   */
  @Test
  void protoFilesCompileWithProtocAloneForAnotherLanguage(@TempDir Path out) throws Exception {
    Path protoc = findProtoc(Path.of(System.getProperty("protoc.dir")));
    Path sources = Path.of(System.getProperty("proto.sources"));
    List<String> files;
    try (Stream<Path> walk = Files.walk(sources)) {
      files = walk.filter(p -> p.toString().endsWith(".proto")).map(p -> sources.relativize(p).toString()).toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(4);

    List<String> command = new ArrayList<>(List.of(protoc.toString(), "--proto_path=" + sources, "--python_out=" + out));
    command.addAll(files);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("protoc output: %s", output).isZero();
    assertThat(out.resolve("kvstore/v1/kv_pb2.py")).exists();
    assertThat(out.resolve("kvstore/raft/v1/raft_pb2.py")).exists();
  }

  private static Path findProtoc(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      Path protoc =
          list.filter(p -> p.getFileName().toString().startsWith("protoc-")
                  && !p.getFileName().toString().startsWith("protoc-gen"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no protoc executable in " + dir));
      protoc.toFile().setExecutable(true);
      return protoc;
    }
  }
}
