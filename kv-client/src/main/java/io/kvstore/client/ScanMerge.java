package io.kvstore.client;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.KeyValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A scan split per shard and merged in key order. Keys are spread over shards by hash, so every shard
 * holds some of any range: each shard is read page by page through its own cursor, the pages of all
 * shards are fetched in parallel, and the heads of the cursors are merged (a k-way merge). A shard whose
 * buffer runs dry is refilled before the merge continues, since its next key may be the smallest.
 *
 * <p>Each shard page asks for at most {@code pageSize} keys starting at the cursor; the next page starts
 * just after the last key returned. Stops after {@code maxKeys} keys (0: all).
 */
final class ScanMerge {

  /** Reads one page of one shard; the future fails with the read's error. */
  @FunctionalInterface
  interface ShardReader {
    /** Keys in [start, end) of {@code shardId}, ascending, at most {@code limit}. */
    CompletableFuture<Page> read(long shardId, ByteString start, int limit);
  }

  /** One shard page: its keys in ascending order, and whether the shard may hold more after them. */
  record Page(List<KeyValue> kvs, boolean mayHaveMore) {}

  private static final Comparator<ByteString> KEY_ORDER = ByteString.unsignedLexicographicalComparator();

  private static final class Cursor {
    final long shardId;
    final ArrayDeque<KeyValue> buffer = new ArrayDeque<>();
    ByteString next;
    boolean more = true;

    Cursor(long shardId, ByteString start) {
      this.shardId = shardId;
      this.next = start;
    }
  }

  private final List<Cursor> cursors = new ArrayList<>();
  private final List<KeyValue> out = new ArrayList<>();
  private final int maxKeys;
  private final int pageSize;
  private final ShardReader reader;

  private ScanMerge(List<Long> shardIds, ByteString start, int maxKeys, int pageSize, ShardReader reader) {
    for (long id : shardIds) {
      cursors.add(new Cursor(id, start));
    }
    this.maxKeys = maxKeys;
    this.pageSize = pageSize;
    this.reader = reader;
  }

  /** Runs the merged scan of {@code shardIds} from {@code start}. */
  static CompletableFuture<List<KeyValue>> run(List<Long> shardIds, ByteString start, int maxKeys,
      int pageSize, ShardReader reader) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("pageSize must be 1 or more");
    }
    return new ScanMerge(shardIds, start, maxKeys, pageSize, reader).step();
  }

  private CompletableFuture<List<KeyValue>> step() {
    List<CompletableFuture<Void>> refills = new ArrayList<>();
    for (Cursor c : cursors) {
      if (c.buffer.isEmpty() && c.more) {
        int limit = maxKeys == 0 ? pageSize : Math.min(pageSize, maxKeys - out.size());
        refills.add(reader.read(c.shardId, c.next, limit).thenAccept(page -> {
          synchronized (c) {
            c.buffer.addAll(page.kvs());
            if (page.kvs().isEmpty()) {
              c.more = false;
            } else {
              c.more = page.mayHaveMore();
              c.next = successor(page.kvs().get(page.kvs().size() - 1).getKey());
            }
          }
        }));
      }
    }
    if (!refills.isEmpty()) {
      // Async: a refill that completed already would otherwise recurse on this stack, once per page.
      return CompletableFuture.allOf(refills.toArray(CompletableFuture[]::new)).thenComposeAsync(v -> step());
    }
    // Every cursor has keys buffered or is exhausted: merge until one that may have more runs dry.
    while (maxKeys == 0 || out.size() < maxKeys) {
      Cursor min = null;
      for (Cursor c : cursors) {
        if (!c.buffer.isEmpty()
            && (min == null || KEY_ORDER.compare(c.buffer.peek().getKey(), min.buffer.peek().getKey()) < 0)) {
          min = c;
        }
      }
      if (min == null) {
        break; // all exhausted
      }
      out.add(min.buffer.poll());
      if (min.buffer.isEmpty() && min.more) {
        return step();
      }
    }
    return CompletableFuture.completedFuture(out);
  }

  /** The smallest key after {@code key}: {@code key + 0x00}. */
  static ByteString successor(ByteString key) {
    return key.concat(ByteString.copyFrom(new byte[] {0}));
  }

  /**
   * The end of the range of keys that start with {@code prefix}: the prefix with its last byte below 0xFF
   * incremented and what follows dropped; empty (no end) when every byte is 0xFF or the prefix is empty.
   */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] b = prefix.toByteArray();
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xFF) {
        b[i]++;
        return ByteString.copyFrom(b, 0, i + 1);
      }
    }
    return ByteString.EMPTY;
  }
}
