package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One page of a Scan across shards: ask every shard for up to {@code limit} keys of the range, merge the
 * answers in key order, and cut the page.
 *
 * <p>Why the merge is correct: each shard answers with its first keys of the range, in order. A shard that
 * may hold more ({@link ShardPage#mayHaveMore}) sets a <em>horizon</em>: keys after its last returned key
 * might be missing from the merge, so the page never returns a key past the smallest horizon. With the same
 * limit for every shard, a full shard's horizon never cuts a page short of {@code limit} keys; the horizon
 * only bites when a shard trimmed its answer to a byte budget. The continuation token is the last key
 * returned; the next page starts just after it.
 */
final class CrossShardScan {
  /**
   * A page's bytes stay under this, so a page of large values fits gRPC's default 4 MiB client limit;
   * a page always holds at least one key.
   */
  static final int PAGE_BYTE_BUDGET = 3 << 20;

  /** One shard's answer: its first keys in the range, in order, and whether it may hold more. */
  record ShardPage(List<KeyValue> kvs, boolean mayHaveMore) {}

  /** Reads one shard's first keys in a range (locally or from another node). */
  @FunctionalInterface
  interface ShardReader {
    CompletableFuture<ShardPage> read(long shardId, ScanBounds bounds);
  }

  /** The merged page and the token for the next one (empty when the scan is complete). */
  record Page(List<KeyValue> kvs, ByteString continuationToken) {}

  private CrossShardScan() {}

  static CompletableFuture<Page> page(List<Long> shardIds, ScanBounds bounds, ShardReader reader) {
    if (bounds.empty()) {
      return CompletableFuture.completedFuture(new Page(List.of(), ByteString.EMPTY));
    }
    List<CompletableFuture<ShardPage>> reads = new ArrayList<>(shardIds.size());
    for (long shard : shardIds) {
      reads.add(reader.read(shard, bounds));
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(ignored -> merge(reads.stream().map(CompletableFuture::join).toList(), bounds.limit()));
  }

  static Page merge(List<ShardPage> pages, int limit) {
    ByteString horizon = null;
    List<KeyValue> all = new ArrayList<>();
    for (ShardPage p : pages) {
      all.addAll(p.kvs());
      if (p.mayHaveMore() && !p.kvs().isEmpty()) {
        ByteString last = p.kvs().get(p.kvs().size() - 1).getKey();
        if (horizon == null || ScanBounds.compare(last, horizon) < 0) {
          horizon = last;
        }
      }
    }
    all.sort((a, b) -> ScanBounds.compare(a.getKey(), b.getKey()));
    List<KeyValue> out = new ArrayList<>(Math.min(limit, all.size()));
    long bytes = 0;
    boolean more = horizon != null;
    for (KeyValue kv : all) {
      if (horizon != null && ScanBounds.compare(kv.getKey(), horizon) > 0) {
        more = true;
        break;
      }
      if (out.size() == limit || (!out.isEmpty() && bytes + kv.getSerializedSize() > PAGE_BYTE_BUDGET)) {
        more = true;
        break;
      }
      out.add(kv);
      bytes += kv.getSerializedSize();
    }
    ByteString token =
        more && !out.isEmpty() ? ScanBounds.tokenAfter(out.get(out.size() - 1).getKey()) : ByteString.EMPTY;
    return new Page(out, token);
  }

  /**
   * A shard's answer from a read of at most {@code limit} keys, trimmed to the byte budget (a shard that
   * returned {@code limit} keys, or was trimmed, may hold more).
   */
  static ShardPage trimmed(List<KeyValue> kvs, int limit) {
    long bytes = 0;
    for (int i = 0; i < kvs.size(); i++) {
      bytes += kvs.get(i).getSerializedSize();
      if (i > 0 && bytes > PAGE_BYTE_BUDGET) {
        return new ShardPage(List.copyOf(kvs.subList(0, i)), true);
      }
    }
    return new ShardPage(kvs, kvs.size() >= limit);
  }
}
