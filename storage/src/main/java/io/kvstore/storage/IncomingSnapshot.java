package io.kvstore.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.raft.proto.SnapshotChunk;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileWriter;

/**
 * A shard snapshot being received: chunks are checked (offset, metadata, key order, checksum) and written
 * as they arrive into one SST file in the staging folder, so memory stays bounded by one record, whatever
 * the shard's size. {@link NodeStore#installSnapshot} then ingests the file.
 *
 * <p>Not thread-safe: one thread (the group's) at a time. A malformed stream throws
 * {@link StoreException} ({@link StoreException.Reason#INVALID_SNAPSHOT}) and the object is dead
 * (close it, start a new one). Close it to drop the staged file if it is not installed.
 */
public final class IncomingSnapshot implements AutoCloseable {
  private final long shardId;
  private final SnapshotMetadata metadata;
  private final Path file;
  private final EnvOptions envOptions = new EnvOptions();
  private final Options sstOptions = new Options();
  private SstFileWriter writer;
  private final CRC32C crc = new CRC32C();
  private long nextOffset;
  private byte[] carry = new byte[0];
  private long records;
  private byte[] lastKey;
  private boolean sawApplied;
  private boolean complete;
  private boolean installed;
  private boolean dead;

  private IncomingSnapshot(long shardId, SnapshotMetadata metadata, Path file) {
    this.shardId = shardId;
    this.metadata = metadata;
    this.file = file;
    this.writer = new SstFileWriter(envOptions, sstOptions);
  }

  static Path stagedFile(Path stagingDir, long shardId, SnapshotMetadata m) {
    return stagingDir.resolve("shard-" + Long.toUnsignedString(shardId) + "-" + m.getIndex() + "-" + m.getTerm()
        + ".sst");
  }

  static IncomingSnapshot create(Path stagingDir, long shardId, SnapshotMetadata metadata, StorageOptions o) {
    if (metadata.getIndex() <= 0) {
      throw new IllegalArgumentException("snapshot metadata must have a positive index: " + metadata);
    }
    Path file = stagedFile(stagingDir, shardId, metadata);
    IncomingSnapshot in = new IncomingSnapshot(shardId, metadata, file);
    try {
      Files.deleteIfExists(file);
      in.writer.open(file.toString());
    } catch (IOException e) {
      in.close();
      throw new StoreException(StoreException.Reason.IO_ERROR, "creating " + file + ": " + e, e);
    } catch (RocksDBException e) {
      in.close();
      throw RocksErrors.wrap("creating " + file, e);
    }
    return in;
  }

  public long shardId() {
    return shardId;
  }

  public SnapshotMetadata metadata() {
    return metadata;
  }

  /** The offset of the next byte expected: what the receiver acknowledges to the sender. */
  public long nextOffset() {
    return nextOffset;
  }

  /** True once the whole stream arrived, checked and written to the staged file. */
  public boolean isComplete() {
    return complete;
  }

  /**
   * Takes a chunk. A chunk at offset 0 starts the transfer over; a chunk at another offset than
   * {@link #nextOffset()} (a duplicate or one after a gap) is ignored; either way the return value is the
   * offset to acknowledge. Blocks on local disk writes.
   *
   * @throws StoreException {@code INVALID_SNAPSHOT} if the chunk is for another snapshot or the stream is
   *     malformed; {@code IO_ERROR}/{@code DISK_FULL} if the staged file cannot be written
   */
  public long accept(SnapshotChunk chunk) {
    if (dead) {
      throw new IllegalStateException("this IncomingSnapshot failed earlier; start a new one");
    }
    if (chunk.getMetadata().getIndex() != metadata.getIndex()
        || chunk.getMetadata().getTerm() != metadata.getTerm()) {
      throw invalid("chunk of snapshot " + chunk.getMetadata().getIndex() + "/" + chunk.getMetadata().getTerm()
          + " given to the receiver of " + metadata.getIndex() + "/" + metadata.getTerm());
    }
    if (chunk.getOffset() == 0 && nextOffset > 0 && !complete) {
      restart(); // the sender started over (the Raft core's contract: offset 0 starts a new staging area)
    }
    if (complete || chunk.getOffset() != nextOffset) {
      return nextOffset;
    }
    try {
      byte[] data = chunk.getData().toByteArray();
      nextOffset += data.length;
      parse(data);
      if (chunk.getLast() && !complete) {
        throw invalid("the stream ended at offset " + nextOffset + " without its trailer");
      }
      return nextOffset;
    } catch (RuntimeException e) {
      dead = true;
      throw e;
    }
  }

  private void restart() {
    try {
      writer.close();
      Files.deleteIfExists(file);
      writer = new SstFileWriter(envOptions, sstOptions);
      writer.open(file.toString());
    } catch (IOException e) {
      dead = true;
      throw new StoreException(StoreException.Reason.IO_ERROR, "restarting " + file + ": " + e, e);
    } catch (RocksDBException e) {
      dead = true;
      throw RocksErrors.wrap("restarting " + file, e);
    }
    crc.reset();
    nextOffset = 0;
    carry = new byte[0];
    records = 0;
    lastKey = null;
    sawApplied = false;
    complete = false;
  }

  private void parse(byte[] data) {
    byte[] b = carry.length == 0 ? data : concat(carry, data);
    int pos = 0;
    while (b.length - pos >= 4) {
      if (complete) {
        throw invalid("bytes after the trailer at offset " + (nextOffset - (b.length - pos)));
      }
      int keyLen = SnapshotFormat.getInt(b, pos);
      if (keyLen == 0) {
        if (b.length - pos < SnapshotFormat.TRAILER_BYTES) {
          break;
        }
        finishStream(Keys.getLong(b, pos + 4), SnapshotFormat.getInt(b, pos + 12));
        pos += SnapshotFormat.TRAILER_BYTES;
        continue;
      }
      if (keyLen < 0 || b.length - pos < 8L + keyLen) {
        if (keyLen < 0) {
          throw invalid("negative key length");
        }
        break;
      }
      int valueLen = SnapshotFormat.getInt(b, pos + 4 + keyLen);
      if (valueLen < 0) {
        throw invalid("negative value length");
      }
      if (b.length - pos < 8L + keyLen + valueLen) {
        break;
      }
      crc.update(b, pos, 8 + keyLen + valueLen);
      byte[] key = Arrays.copyOfRange(b, pos + 4, pos + 4 + keyLen);
      byte[] value = Arrays.copyOfRange(b, pos + 8 + keyLen, pos + 8 + keyLen + valueLen);
      pos += 8 + keyLen + valueLen;
      writeRecord(key, value);
    }
    carry = Arrays.copyOfRange(b, pos, b.length);
  }

  private void writeRecord(byte[] key, byte[] value) {
    if (lastKey != null && Arrays.compareUnsigned(key, lastKey) <= 0) {
      throw invalid("keys out of order at record " + records);
    }
    byte ns = key[0];
    if (ns != Keys.NS_INTERNAL && ns != Keys.NS_SYSTEM && ns != Keys.NS_USER) {
      throw invalid("unknown namespace " + ns + " at record " + records);
    }
    if (ns == Keys.NS_INTERNAL && Arrays.equals(key, 1, key.length, Keys.APPLIED_SUFFIX, 0,
        Keys.APPLIED_SUFFIX.length)) {
      try {
        SnapshotMetadata applied = SnapshotMetadata.parseFrom(value);
        if (applied.getIndex() != metadata.getIndex() || applied.getTerm() != metadata.getTerm()) {
          throw invalid("the data's applied state " + applied.getIndex() + "/" + applied.getTerm()
              + " differs from the snapshot's metadata " + metadata.getIndex() + "/" + metadata.getTerm());
        }
      } catch (InvalidProtocolBufferException e) {
        throw invalid("undecodable applied state");
      }
      sawApplied = true;
    }
    byte[] full = new byte[8 + key.length];
    Keys.putLong(full, 0, shardId);
    System.arraycopy(key, 0, full, 8, key.length);
    try {
      writer.put(full, value);
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("shard " + shardId + ": writing the staged snapshot " + file, e);
    }
    lastKey = key;
    records++;
  }

  private void finishStream(long count, int checksum) {
    if (count != records) {
      throw invalid("trailer counts " + count + " records, received " + records);
    }
    if (checksum != (int) crc.getValue()) {
      throw invalid("checksum mismatch");
    }
    if (!sawApplied) {
      throw invalid("the stream holds no applied state record");
    }
    try {
      writer.finish();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("shard " + shardId + ": finishing the staged snapshot " + file, e);
    } catch (IOException e) {
      throw new StoreException(StoreException.Reason.IO_ERROR, "syncing " + file + ": " + e, e);
    }
    complete = true;
  }

  Path file() {
    return file;
  }

  void markInstalled() {
    installed = true;
  }

  /** Releases the writer; deletes the staged file unless it was installed. */
  @Override
  public void close() {
    writer.close();
    sstOptions.close();
    envOptions.close();
    if (!installed) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // Left for the next open, which empties the staging folder.
      }
    }
  }

  private StoreException invalid(String what) {
    return new StoreException(StoreException.Reason.INVALID_SNAPSHOT, "shard " + shardId + " snapshot "
        + metadata.getIndex() + "/" + metadata.getTerm() + ": " + what);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
