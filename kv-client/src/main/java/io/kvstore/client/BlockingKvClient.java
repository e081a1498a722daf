package io.kvstore.client;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.DeleteResponse;
import io.kvstore.proto.v1.GetResponse;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.NodeStatus;
import io.kvstore.proto.v1.PutResponse;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.proto.v1.ScanResponse;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The blocking view of a {@link KvClient}: each method waits for the async call and returns its result,
 * or throws the {@link KvException} it failed with (IllegalArgumentException for a bad argument). Blocks
 * the calling thread at most for the client's deadline; thread-safe. Closing is the {@link KvClient}'s job.
 */
public final class BlockingKvClient {
  private final KvClient client;

  BlockingKvClient(KvClient client) {
    this.client = client;
  }

  public GetResponse get(ByteString key) {
    return await(client.get(key));
  }

  public GetResponse get(ByteString key, Consistency consistency) {
    return await(client.get(key, consistency));
  }

  public PutResponse put(ByteString key, ByteString value) {
    return await(client.put(key, value));
  }

  public DeleteResponse delete(ByteString key) {
    return await(client.delete(key));
  }

  public CompareAndSwapResponse compareAndSwap(ByteString key, ByteString expected, ByteString newValue) {
    return await(client.compareAndSwap(key, expected, newValue));
  }

  public CompareAndSwapResponse compareAndSwapVersion(ByteString key, long expectedVersion,
      ByteString newValue) {
    return await(client.compareAndSwapVersion(key, expectedVersion, newValue));
  }

  public TxnResponse txn(TxnRequest request) {
    return await(client.txn(request));
  }

  public ScanResponse scanPage(ScanRequest request) {
    return await(client.scanPage(request));
  }

  public List<KeyValue> scan(ScanRequest request, int maxKeys) {
    return await(client.scan(request, maxKeys));
  }

  public List<GetResponse> batchGet(List<ByteString> keys, Consistency consistency) {
    return await(client.batchGet(keys, consistency));
  }

  public List<Long> batchPut(List<KeyValue> kvs) {
    return await(client.batchPut(kvs));
  }

  public ClusterMap clusterMap() {
    return await(client.clusterMap());
  }

  public io.kvstore.proto.v1.AddMemberResponse addMember(io.kvstore.proto.v1.Node node) {
    return await(client.addMember(node));
  }

  public io.kvstore.proto.v1.RemoveMemberResponse removeMember(long nodeId) {
    return await(client.removeMember(nodeId));
  }

  public io.kvstore.proto.v1.ListMembersResponse listMembers() {
    return await(client.listMembers());
  }

  public NodeStatus nodeStatus(String address) {
    return await(client.nodeStatus(address));
  }

  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new KvException(Status.Code.CANCELLED, "interrupted while waiting for the call", 0, false, e);
    } catch (ExecutionException e) {
      Throwable c = Failure.unwrap(e);
      if (c instanceof KvException kv) {
        // Rethrown on the caller's thread, with the caller's stack and the original as the cause.
        throw new KvException(kv.code(), kv.getMessage(), kv.attempts(), kv.anyNodeAnswered(), kv);
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new KvException(Status.fromThrowable(c).getCode(), c.toString(), 0, false, c);
    }
  }
}
