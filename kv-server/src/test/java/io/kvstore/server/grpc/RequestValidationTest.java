package io.kvstore.server.grpc;

import static io.kvstore.server.grpc.Statuses.code;
import static io.kvstore.server.grpc.Statuses.detail;
import static io.kvstore.server.grpc.Statuses.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.KVGrpc;
import io.kvstore.proto.v1.KeyRange;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.LimitExceeded;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.TxnDelete;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnPut;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.ring.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every malformed request is refused with the status kv.proto promises, a message that names the limit or
 * field, and the typed detail; a refused request never reaches the replicas.
 */
class RequestValidationTest {
  @TempDir Path dir;
  private FakeCluster cluster;
  private KVGrpc.KVBlockingStub kv;

  @BeforeEach
  void start() {
    cluster = new FakeCluster(dir, 1, id -> FakeCluster.allShards(), shard -> 1L);
    kv = cluster.kv(1);
  }

  @AfterEach
  void stop() {
    // Nothing refused may have reached the replicas or changed any data.
    assertThat(cluster.replicas(1).proposals.get()).isZero();
    assertThat(cluster.replicas(1).size()).isZero();
    cluster.close();
  }

  private static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void emptyKeyIsInvalid() {
    StatusRuntimeException e = failure(() -> kv.put(PutRequest.newBuilder().setValue(utf8("v")).build()));
    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("key is empty").contains("1 to 4096 bytes");
  }

  @Test
  void oversizedKeyNamesTheLimitWithADetail() {
    StatusRuntimeException e = failure(() -> kv.get(GetRequest.newBuilder().setKey(bytes(4097)).build()));
    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("4097 bytes").contains("4096");
    LimitExceeded limit = detail(e, LimitExceeded.class);
    assertThat(limit.getWhat()).isEqualTo("key");
    assertThat(limit.getLimit()).isEqualTo(4096);
    assertThat(limit.getActual()).isEqualTo(4097);
  }

  @Test
  void oversizedValueNamesTheLimitWithADetail() {
    StatusRuntimeException e =
        failure(() -> kv.put(PutRequest.newBuilder().setKey(utf8("k")).setValue(bytes((1 << 20) + 1)).build()));
    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    LimitExceeded limit = detail(e, LimitExceeded.class);
    assertThat(limit.getWhat()).isEqualTo("value");
    assertThat(limit.getLimit()).isEqualTo(1 << 20);
    assertThat(limit.getActual()).isEqualTo((1 << 20) + 1);
  }

  @Test
  void aValueOfExactlyTheLimitIsAccepted() {
    // The boundary itself is allowed; then the fake stores it, so undo the "nothing stored" check.
    kv.put(PutRequest.newBuilder().setKey(utf8("k")).setValue(bytes(1 << 20)).build());
    assertThat(cluster.replicas(1).size()).isEqualTo(1);
    kv.delete(io.kvstore.proto.v1.DeleteRequest.newBuilder().setKey(utf8("k")).build());
    cluster.replicas(1).proposals.set(0);
  }

  @Test
  void tooManyBatchKeysIsInvalid() {
    BatchPutRequest.Builder b = BatchPutRequest.newBuilder();
    for (int i = 0; i < 10_001; i++) {
      b.addKvs(KeyValue.newBuilder().setKey(utf8("k" + i)));
    }
    StatusRuntimeException e = failure(() -> kv.batchPut(b.build()));
    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(detail(e, LimitExceeded.class).getActual()).isEqualTo(10_001);

    BatchGetRequest.Builder g = BatchGetRequest.newBuilder();
    g.addKeys(utf8("fine")).addKeys(ByteString.EMPTY);
    StatusRuntimeException empty = failure(() -> kv.batchGet(g.build()));
    assertThat(empty.getStatus().getDescription()).contains("keys[1] is empty");
  }

  @Test
  void unknownEnumValuesAreInvalid() {
    StatusRuntimeException e =
        failure(() -> kv.get(GetRequest.newBuilder().setKey(utf8("k")).setConsistencyValue(7).build()));
    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("consistency = 7");

    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(utf8("k")).setTargetValue(9).setVersion(1))
            .build();
    StatusRuntimeException t = failure(() -> kv.txn(txn));
    assertThat(code(t)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(t.getStatus().getDescription()).contains("compare[0].target = 9");
  }

  @Test
  void unknownFieldsAreRefusedRatherThanIgnored() {
    // Field 12 of PutRequest is unknown to this version: a newer client's option must not be silently dropped.
    PutRequest withLease =
        PutRequest.newBuilder()
            .setKey(utf8("k"))
            .setValue(utf8("v"))
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(12, UnknownFieldSet.Field.newBuilder().addVarint(42).build())
                    .build())
            .build();
    StatusRuntimeException e = failure(() -> kv.put(withLease));
    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("field number 12");
  }

  @Test
  void unknownFieldsInsideNestedAndRepeatedMessagesAreNamedByTheirPath() {
    UnknownFieldSet unknown = UnknownFieldSet.newBuilder()
        .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
    StatusRuntimeException inHeader = failure(() -> kv.put(PutRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setUnknownFields(unknown))
        .setKey(utf8("k")).setValue(utf8("v")).build()));
    assertThat(code(inHeader)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(inHeader.getStatus().getDescription()).contains("field number 99 of header");

    StatusRuntimeException inSecondEntry = failure(() -> kv.batchPut(BatchPutRequest.newBuilder()
        .addKvs(KeyValue.newBuilder().setKey(utf8("a")).setValue(utf8("1")))
        .addKvs(KeyValue.newBuilder().setKey(utf8("b")).setValue(utf8("2")).setUnknownFields(unknown))
        .build()));
    assertThat(code(inSecondEntry)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(inSecondEntry.getStatus().getDescription()).contains("field number 99 of kvs[1]");
  }

  @Test
  void wrongClusterIdIsAFailedPrecondition() {
    StatusRuntimeException e =
        failure(
            () ->
                kv.put(
                    PutRequest.newBuilder()
                        .setHeader(RequestHeader.newBuilder().setClusterId("other"))
                        .setKey(utf8("k"))
                        .build()));
    assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).contains("'fake'").contains("'other'");
  }

  @Test
  void txnAcrossShardsNamesTwoKeys() {
    RoutingTable table = routing();
    String a = "a";
    String b = keyInAnotherShard(table, a);
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(utf8(a)).setValue(utf8("1"))))
            .addSuccess(TxnOp.newBuilder().setDelete(TxnDelete.newBuilder().setKey(utf8(b))))
            .build();
    StatusRuntimeException e = failure(() -> kv.txn(txn));
    assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).contains("'" + a + "'").contains("'" + b + "'").contains("hash tag");
  }

  @Test
  void txnWithASharedHashTagStaysInOneShard() {
    RoutingTable table = routing();
    RequestValidator validator =
        new RequestValidator("fake", table::limits, k -> table.shardForKey(k).getId());
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(utf8("user:{42}:name")).setVersion(0)
                .setTarget(Compare.Target.TARGET_VERSION))
            .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(utf8("user:{42}:email"))))
            .build();
    assertThat(validator.txn(txn)).isEqualTo(table.shardForKey(utf8("42")).getId());
  }

  @Test
  void malformedTxnAndCasAreInvalid() {
    StatusRuntimeException empty = failure(() -> kv.txn(TxnRequest.getDefaultInstance()));
    assertThat(code(empty)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(empty.getStatus().getDescription()).contains("at least one key");

    StatusRuntimeException noOp =
        failure(() -> kv.txn(TxnRequest.newBuilder().addFailure(TxnOp.getDefaultInstance()).build()));
    assertThat(noOp.getStatus().getDescription()).contains("failure[0] sets no operation");

    StatusRuntimeException operand =
        failure(
            () ->
                kv.txn(
                    TxnRequest.newBuilder()
                        .addCompare(Compare.newBuilder().setKey(utf8("k")).setVersion(3))
                        .build()));
    assertThat(operand.getStatus().getDescription()).contains("compares the value");

    StatusRuntimeException cas =
        failure(() -> kv.compareAndSwap(CompareAndSwapRequest.newBuilder().setKey(utf8("k")).build()));
    assertThat(code(cas)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(cas.getStatus().getDescription()).contains("exactly one of expected_value or expected_version");
  }

  @Test
  void scanWithStartAfterEndOrTooLargeALimitOrAForeignTokenIsInvalid() {
    StatusRuntimeException range =
        failure(
            () ->
                kv.scan(
                    ScanRequest.newBuilder()
                        .setRange(KeyRange.newBuilder().setStart(utf8("b")).setEnd(utf8("a")))
                        .build()));
    assertThat(code(range)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(range.getStatus().getDescription()).contains("start is after range.end");

    StatusRuntimeException limit = failure(() -> kv.scan(ScanRequest.newBuilder().setLimit(10_001).build()));
    assertThat(detail(limit, LimitExceeded.class).getLimit()).isEqualTo(10_000);
    // limit is a uint32: 2^32-1 (-1 as a Java int) is far over the most, not "negative".
    StatusRuntimeException huge = failure(() -> kv.scan(ScanRequest.newBuilder().setLimit(-1).build()));
    assertThat(code(huge)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(huge.getStatus().getDescription()).contains("limit is 4294967295").contains("at most 10000")
        .doesNotContain("negative");
    assertThat(detail(huge, LimitExceeded.class).getActual()).isEqualTo(4_294_967_295L);

    StatusRuntimeException token =
        failure(
            () ->
                kv.scan(
                    ScanRequest.newBuilder()
                        .setContinuationToken(ByteString.copyFrom("junk", StandardCharsets.UTF_8))
                        .build()));
    assertThat(token.getStatus().getDescription()).contains("continuation_token");

    // A real token, but from a page of another prefix.
    ByteString other = ScanBounds.tokenAfter(utf8("zzz"));
    StatusRuntimeException foreign =
        failure(
            () ->
                kv.scan(ScanRequest.newBuilder().setPrefix(utf8("a")).setContinuationToken(other).build()));
    assertThat(foreign.getStatus().getDescription()).contains("does not belong to this scan");
  }

  @Test
  void anEmptyRangeScanIsValidAndEmpty() {
    var page =
        kv.scan(
            ScanRequest.newBuilder()
                .setRange(KeyRange.newBuilder().setStart(utf8("a")).setEnd(utf8("a")))
                .build());
    assertThat(page.getKvsList()).isEmpty();
    assertThat(page.getContinuationToken()).isEmpty();
  }

  private RoutingTable routing() {
    return RoutingTable.bootstrap(
        "fake",
        List.of(io.kvstore.proto.v1.Node.newBuilder().setId(1).setAddress("x:1").build()),
        FakeCluster.SHARDS,
        3,
        io.kvstore.proto.v1.Limits.getDefaultInstance());
  }

  static String keyInAnotherShard(RoutingTable table, String key) {
    long shard = table.shardForKey(utf8(key)).getId();
    for (int i = 0; ; i++) {
      String other = "key-" + i;
      if (table.shardForKey(utf8(other)).getId() != shard) {
        return other;
      }
    }
  }
}
