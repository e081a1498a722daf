package io.kvstore.storage;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * A consistent, read-only view of one shard's whole range (user keys, system records, applied index and
 * membership) at one moment, pinned by a RocksDB snapshot while writes go on, streamed as
 * {@link SnapshotChunk}s (format: {@link SnapshotFormat}).
 *
 * <p>Chunks are normally asked for in order ({@code offset} = the previous chunk's end), which streams in
 * one pass; asking for the last chunk again returns it from memory, and any earlier offset (a receiver
 * that restarted) restarts the pass and skips to it. Not thread-safe: one thread at a time (any thread).
 * Close it to release the RocksDB snapshot: an open one keeps old versions of the shard's data on disk.
 */
public final class ShardSnapshot implements AutoCloseable {
  private final NodeStore store;
  private final Rocks rocks;
  private final long shardId;
  private final Snapshot snapshot;
  private final SnapshotMetadata metadata;
  private final int defaultChunkBytes;

  private ReadOptions readOptions;
  private Slice upper;
  private RocksIterator iterator;
  private CRC32C crc;
  private long records;
  private boolean ended;
  private byte[] buf = new byte[0];
  private int head;
  private int tail;
  private long headOffset;
  private SnapshotChunk lastChunk;
  private boolean closed;

  private ShardSnapshot(NodeStore store, Rocks rocks, long shardId, Snapshot snapshot, SnapshotMetadata metadata) {
    this.store = store;
    this.rocks = rocks;
    this.shardId = shardId;
    this.snapshot = snapshot;
    this.metadata = metadata;
    this.defaultChunkBytes = store.options().snapshotChunkBytes();
  }

  static ShardSnapshot open(NodeStore store, Rocks rocks, long shardId) {
    Snapshot snap = rocks.db().getSnapshot();
    try (ReadOptions ro = new ReadOptions().setSnapshot(snap)) {
      byte[] raw = rocks.db().get(rocks.data(), ro, Keys.appliedKey(shardId));
      if (raw == null) {
        rocks.db().releaseSnapshot(snap);
        throw new IllegalStateException("shard " + shardId + " has applied nothing: no snapshot to take");
      }
      return new ShardSnapshot(store, rocks, shardId, snap, SnapshotMetadata.parseFrom(raw));
    } catch (RocksDBException e) {
      rocks.db().releaseSnapshot(snap);
      throw RocksErrors.wrap("shard " + shardId + ": reading its applied state for a snapshot", e);
    } catch (InvalidProtocolBufferException e) {
      rocks.db().releaseSnapshot(snap);
      throw new StoreException(StoreException.Reason.CORRUPTION, "shard " + shardId + ": undecodable applied state", e);
    }
  }

  public long shardId() {
    return shardId;
  }

  /** The applied index, its term and the membership the snapshot's data reflects. */
  public SnapshotMetadata metadata() {
    return metadata;
  }

  /** The chunk at {@code offset} with the default size ({@link StorageOptions#snapshotChunkBytes()}). */
  public SnapshotChunk chunk(long offset) {
    return chunk(offset, defaultChunkBytes);
  }

  /**
   * The chunk of at most {@code maxBytes} bytes starting at {@code offset}, with this snapshot's
   * metadata; {@code last} is set on the chunk that ends the stream. Reads RocksDB.
   *
   * @throws IllegalArgumentException if {@code offset} is past the end of the stream
   */
  public SnapshotChunk chunk(long offset, int maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    if (lastChunk != null && lastChunk.getOffset() == offset && lastChunk.getData().size() <= maxBytes) {
      return lastChunk;
    }
    store.enter();
    try {
      if (closed) {
        throw new IllegalStateException("snapshot closed");
      }
      if (iterator == null || offset < headOffset) {
        restart();
      }
      while (headOffset < offset) {
        if (!fill(1)) {
          throw new IllegalArgumentException("offset " + offset + " is past the end of the snapshot ("
              + headOffset + " bytes)");
        }
        int skip = (int) Math.min(tail - head, offset - headOffset);
        consume(skip);
      }
      fill(maxBytes);
      int take = Math.min(maxBytes, tail - head);
      byte[] data = Arrays.copyOfRange(buf, head, head + take);
      consume(take);
      boolean last = ended && head == tail;
      lastChunk = SnapshotChunk.newBuilder()
          .setMetadata(metadata)
          .setOffset(offset)
          .setData(ByteString.copyFrom(data))
          .setLast(last)
          .setTotalSize(last ? offset + take : 0)
          .build();
      return lastChunk;
    } finally {
      store.exit();
    }
  }

  /** Encodes records until {@code n} bytes are buffered or the stream ended; false if none are. */
  private boolean fill(int n) {
    while (tail - head < n && !ended) {
      if (iterator.isValid()) {
        byte[] key = iterator.key();
        append(SnapshotFormat.record(Arrays.copyOfRange(key, 8, key.length), iterator.value(), crc));
        records++;
        iterator.next();
      } else {
        try {
          iterator.status();
        } catch (RocksDBException e) {
          throw RocksErrors.wrap("shard " + shardId + ": reading it for a snapshot", e);
        }
        append(SnapshotFormat.trailer(records, crc));
        ended = true;
      }
    }
    return tail > head;
  }

  private void append(byte[] bytes) {
    if (tail + bytes.length > buf.length) {
      int live = tail - head;
      byte[] next = live + bytes.length > buf.length ? new byte[Math.max(2 * buf.length, live + bytes.length)] : buf;
      System.arraycopy(buf, head, next, 0, live);
      buf = next;
      head = 0;
      tail = live;
    }
    System.arraycopy(bytes, 0, buf, tail, bytes.length);
    tail += bytes.length;
  }

  private void consume(int n) {
    head += n;
    headOffset += n;
  }

  private void restart() {
    closeIterator();
    readOptions = new ReadOptions().setSnapshot(snapshot);
    upper = new Slice(Keys.shardEnd(shardId));
    readOptions.setIterateUpperBound(upper);
    iterator = rocks.db().newIterator(rocks.data(), readOptions);
    iterator.seek(Keys.shardStart(shardId));
    crc = new CRC32C();
    records = 0;
    ended = false;
    head = 0;
    tail = 0;
    headOffset = 0;
  }

  private void closeIterator() {
    if (iterator != null) {
      iterator.close();
      readOptions.close();
      upper.close();
      iterator = null;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      store.enter();
    } catch (StoreException storeClosed) {
      closed = true; // closing the database released the snapshot and iterator with it
      return;
    }
    try {
      closed = true;
      closeIterator();
      rocks.db().releaseSnapshot(snapshot);
    } finally {
      store.exit();
    }
  }
}
