package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.kvstore.proto.v1.BatchGetRequest;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.GetRequest;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnRequest;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The checks every node makes before a request reaches a replica, with the limits of {@code kv.proto}.
 * A refused request changes nothing. Each method throws a {@link StatusRuntimeException} whose message
 * names the field and the limit: INVALID_ARGUMENT for a malformed request (with a LimitExceeded detail
 * when a size limit is crossed), FAILED_PRECONDITION for a wrong cluster id or a Txn across shards.
 *
 * <p>Stateless apart from the limits it reads; thread-safe.
 */
public final class RequestValidator {
  /** kv.proto: at most 64 MiB in all per request. */
  public static final long MAX_REQUEST_BYTES = 64L << 20;
  /** Default key limit when the map leaves it unset. */
  static final int DEFAULT_MAX_KEY_BYTES = 4096;
  static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
  static final int DEFAULT_MAX_BATCH_KEYS = 10_000;

  private final String clusterId;
  private final Supplier<Limits> limits;
  private final ToLongFunction<ByteString> shardOfKey;

  public RequestValidator(
      String clusterId, Supplier<Limits> limits, ToLongFunction<ByteString> shardOfKey) {
    this.clusterId = clusterId;
    this.limits = limits;
    this.shardOfKey = shardOfKey;
  }

  public void get(GetRequest r) {
    common(r, r.getHeader());
    key("key", r.getKey());
    consistency(r.getConsistencyValue());
  }

  public void put(PutRequest r) {
    common(r, r.getHeader());
    key("key", r.getKey());
    value("value", r.getValue());
    if (r.hasFence()) {
      fence(r.getFence(), r.getKey());
    }
    if (r.getLease() != 0 && (r.getLease() >>> 40) != shardOfKey.applyAsLong(r.getKey())) {
      throw KvStatuses.failedPrecondition("key " + printable(r.getKey()) + " is not in the shard of lease "
          + Long.toUnsignedString(r.getLease()) + "; grant the lease with a key of the same shard (a shared"
          + " hash tag)");
    }
  }

  public void delete(DeleteRequest r) {
    common(r, r.getHeader());
    key("key", r.getKey());
    if (r.hasFence()) {
      fence(r.getFence(), r.getKey());
    }
  }

  /** A fence is checked by the lock's shard, atomically with the write: the key must live there too. */
  private void fence(io.kvstore.proto.v1.Fence f, ByteString key) {
    key("fence.lock", f.getLock());
    if (shardOfKey.applyAsLong(f.getLock()) != shardOfKey.applyAsLong(key)) {
      throw KvStatuses.failedPrecondition("key " + printable(key) + " and the fence's lock "
          + printable(f.getLock()) + " are in different shards; give them a shared hash tag");
    }
  }

  public void compareAndSwap(CompareAndSwapRequest r) {
    common(r, r.getHeader());
    key("key", r.getKey());
    switch (r.getExpectedCase()) {
      case EXPECTED_VALUE -> value("expected_value", r.getExpectedValue());
      case EXPECTED_VERSION -> {}
      default ->
          throw KvStatuses.invalidArgument(
              "CompareAndSwap needs exactly one of expected_value or expected_version"
                  + " (expected_version = 0 means the key must not exist)");
    }
    value("new_value", r.getNewValue());
  }

  /**
   * Checks a Txn and returns the shard all its keys belong to.
   *
   * @throws StatusRuntimeException FAILED_PRECONDITION naming two keys when the keys span shards
   */
  public long txn(TxnRequest r) {
    common(r, r.getHeader());
    int ops = r.getCompareCount() + r.getSuccessCount() + r.getFailureCount();
    batchSize("operations", ops);
    List<ByteString> keys = new ArrayList<>(ops);
    for (int i = 0; i < r.getCompareCount(); i++) {
      Compare c = r.getCompare(i);
      String where = "compare[" + i + "]";
      key(where + ".key", c.getKey());
      keys.add(c.getKey());
      if (c.getTarget() == Compare.Target.UNRECOGNIZED) {
        throw unknownEnum(where + ".target", c.getTargetValue(), "0 VALUE, 1 VERSION");
      }
      if (c.getResult() == Compare.Result.UNRECOGNIZED) {
        throw unknownEnum(
            where + ".result", c.getResultValue(), "0 EQUAL, 1 NOT_EQUAL, 2 GREATER, 3 LESS");
      }
      Compare.OperandCase want =
          c.getTarget() == Compare.Target.TARGET_VALUE
              ? Compare.OperandCase.VALUE
              : Compare.OperandCase.VERSION;
      if (c.getOperandCase() != want) {
        throw KvStatuses.invalidArgument(
            where
                + " compares the "
                + (want == Compare.OperandCase.VALUE ? "value" : "version")
                + " and must set the operand '"
                + (want == Compare.OperandCase.VALUE ? "value" : "version")
                + "'");
      }
      if (want == Compare.OperandCase.VALUE) {
        value(where + ".value", c.getValue());
      }
    }
    ops("success", r.getSuccessList(), keys);
    ops("failure", r.getFailureList(), keys);
    if (keys.isEmpty()) {
      throw KvStatuses.invalidArgument("a Txn must name at least one key (in compare, success or failure)");
    }
    long shard = shardOfKey.applyAsLong(keys.get(0));
    if (r.hasFence()) {
      fence(r.getFence(), keys.get(0));
    }
    for (int i = 1; i < keys.size(); i++) {
      if (shardOfKey.applyAsLong(keys.get(i)) != shard) {
        throw KvStatuses.failedPrecondition(
            "a Txn must stay within one shard, but keys "
                + printable(keys.get(0))
                + " and "
                + printable(keys.get(i))
                + " belong to different shards; give related keys a shared hash tag such as"
                + " user:{42}:name and user:{42}:email");
      }
    }
    return shard;
  }

  public void batchGet(BatchGetRequest r) {
    common(r, r.getHeader());
    batchSize("keys", r.getKeysCount());
    for (int i = 0; i < r.getKeysCount(); i++) {
      key("keys[" + i + "]", r.getKeys(i));
    }
    consistency(r.getConsistencyValue());
  }

  public void batchPut(BatchPutRequest r) {
    common(r, r.getHeader());
    batchSize("kvs", r.getKvsCount());
    for (int i = 0; i < r.getKvsCount(); i++) {
      KeyValue kv = r.getKvs(i);
      key("kvs[" + i + "].key", kv.getKey());
      value("kvs[" + i + "].value", kv.getValue());
    }
  }

  /** The checks of every request: unknown fields, overall size and the cluster id. */
  public void common(Message request, RequestHeader header) {
    String unknown = unknownField(request, "");
    if (unknown != null) {
      throw KvStatuses.invalidArgument(
          "the request sets "
              + unknown
              + ", a field this node does not know; it would be ignored, so the request is refused"
              + " (is the client newer than the node?)");
    }
    long size = request.getSerializedSize();
    if (size > MAX_REQUEST_BYTES) {
      throw KvStatuses.limitExceeded(
          "the request is " + size + " bytes; the limit is " + MAX_REQUEST_BYTES + " bytes in all",
          "request_bytes",
          MAX_REQUEST_BYTES,
          size);
    }
    clusterId(header.getClusterId());
  }

  /** FAILED_PRECONDITION when {@code requested} names another cluster (empty: any). */
  public void clusterId(String requested) {
    if (!requested.isEmpty() && !requested.equals(clusterId)) {
      throw KvStatuses.failedPrecondition(
          "this node belongs to cluster '"
              + clusterId
              + "', but the request is meant for cluster '"
              + requested
              + "'; check the client's endpoints");
    }
  }

  public void consistency(int value) {
    if (Consistency.forNumber(value) == null) {
      throw unknownEnum("consistency", value, "0 LINEARIZABLE, 1 LEASE, 2 STALE");
    }
  }

  void key(String field, ByteString key) {
    if (key.isEmpty()) {
      throw KvStatuses.invalidArgument(
          field + " is empty; a key is 1 to " + maxKeyBytes() + " bytes");
    }
    if (key.size() > maxKeyBytes()) {
      throw KvStatuses.limitExceeded(
          field + " is " + key.size() + " bytes; a key is 1 to " + maxKeyBytes() + " bytes",
          "key",
          maxKeyBytes(),
          key.size());
    }
  }

  void value(String field, ByteString value) {
    int max = maxValueBytes();
    if (value.size() > max) {
      throw KvStatuses.limitExceeded(
          field + " is " + value.size() + " bytes; a value is at most " + max + " bytes",
          "value",
          max,
          value.size());
    }
  }

  void batchSize(String what, int count) {
    int max = maxBatchKeys();
    if (count > max) {
      throw KvStatuses.limitExceeded(
          "the request has " + count + " " + what + "; the limit is " + max + " per request",
          "keys",
          max,
          count);
    }
  }

  private void ops(String branch, List<TxnOp> ops, List<ByteString> keys) {
    for (int i = 0; i < ops.size(); i++) {
      TxnOp op = ops.get(i);
      String where = branch + "[" + i + "]";
      switch (op.getOpCase()) {
        case GET -> {
          key(where + ".get.key", op.getGet().getKey());
          keys.add(op.getGet().getKey());
        }
        case PUT -> {
          key(where + ".put.key", op.getPut().getKey());
          value(where + ".put.value", op.getPut().getValue());
          keys.add(op.getPut().getKey());
        }
        case DELETE -> {
          key(where + ".delete.key", op.getDelete().getKey());
          keys.add(op.getDelete().getKey());
        }
        default ->
            throw KvStatuses.invalidArgument(where + " sets no operation (one of get, put, delete)");
      }
    }
  }

  int maxKeyBytes() {
    int v = limits.get().getMaxKeyBytes();
    return v == 0 ? DEFAULT_MAX_KEY_BYTES : v;
  }

  int maxValueBytes() {
    int v = limits.get().getMaxValueBytes();
    return v == 0 ? DEFAULT_MAX_VALUE_BYTES : v;
  }

  int maxBatchKeys() {
    int v = limits.get().getMaxBatchKeys();
    return v == 0 ? DEFAULT_MAX_BATCH_KEYS : v;
  }

  static StatusRuntimeException unknownEnum(String field, int value, String known) {
    return KvStatuses.invalidArgument(
        field + " = " + value + " is not a known value (known: " + known + ")");
  }

  /** The path of the first unknown field in {@code m} or its set message fields, or null. */
  static String unknownField(Message m, String path) {
    return hasUnknownField(m) ? describeUnknownField(m, path) : null;
  }

  /**
   * Whether {@code m} or a message inside it carries a field this node does not know. Every request
   * passes here, so it visits only the message-typed fields (listed once per type) and builds nothing:
   * {@code getAllFields()} built a map of every field of every message and was 1% of a node's CPU under
   * write load.
   */
  private static boolean hasUnknownField(Message m) {
    if (!m.getUnknownFields().asMap().isEmpty()) {
      return true;
    }
    for (FieldDescriptor f : messageFields(m.getDescriptorForType())) {
      if (f.isRepeated()) {
        int count = m.getRepeatedFieldCount(f);
        for (int i = 0; i < count; i++) {
          if (hasUnknownField((Message) m.getRepeatedField(f, i))) {
            return true;
          }
        }
      } else if (m.hasField(f) && hasUnknownField((Message) m.getField(f))) {
        return true;
      }
    }
    return false;
  }

  private static final Map<Descriptor, List<FieldDescriptor>> MESSAGE_FIELDS = new ConcurrentHashMap<>();

  private static List<FieldDescriptor> messageFields(Descriptor type) {
    return MESSAGE_FIELDS.computeIfAbsent(type, t -> t.getFields().stream()
        .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE).toList());
  }

  private static String describeUnknownField(Message m, String path) {
    if (!m.getUnknownFields().asMap().isEmpty()) {
      int number = m.getUnknownFields().asMap().keySet().iterator().next();
      return "field number " + number + (path.isEmpty() ? "" : " of " + path);
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      String name = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (f.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          String found = describeUnknownField((Message) items.get(i), name + "[" + i + "]");
          if (found != null) {
            return found;
          }
        }
      } else {
        String found = describeUnknownField((Message) e.getValue(), name);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  /** A key for a message: UTF-8 text when printable ASCII, else hex; long keys shortened. */
  static String printable(ByteString key) {
    boolean text = true;
    for (int i = 0; i < key.size() && text; i++) {
      int b = key.byteAt(i) & 0xff;
      text = b >= 0x20 && b < 0x7f;
    }
    String s;
    if (text) {
      s = "'" + key.toString(StandardCharsets.US_ASCII) + "'";
    } else {
      StringBuilder hex = new StringBuilder("0x");
      for (int i = 0; i < key.size(); i++) {
        hex.append(String.format("%02x", key.byteAt(i) & 0xff));
      }
      s = hex.toString();
    }
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
