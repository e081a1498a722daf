package io.kvstore.storage;

import io.kvstore.raft.proto.SnapshotMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage of one node: a single embedded RocksDB, in the node's data directory, that holds the Raft
 * log, hard state and applied data of every group the node hosts (key layout: {@link Keys}).
 *
 * <p>How the worker loop uses it, each round:
 * <ol>
 *   <li>{@link #newBatch()}; for each group's Ready: {@link StoreBatch#append}, {@link StoreBatch#setHardState};
 *       then {@link #write write(batch, SYNC)}: one fsync for all groups (group commit). Only then send
 *       the Readies' persisted messages (votes, append acknowledgements: Raft §5.1) and count the
 *       entries as durable for acknowledgement.</li>
 *   <li>A Ready carrying a snapshot: {@link #installSnapshot} first (it is durable on return), then the
 *       Ready's hard state and entries in the round's batch.</li>
 *   <li>Apply committed entries: one batch with the data changes ({@link StoreBatch#put},
 *       {@link StoreBatch#putSystem}, ...) and {@link StoreBatch#setApplied} of each shard, written with
 *       {@link Durability#NO_SYNC} (the log they come from is already on disk; see {@link Durability}).
 *       It may also be the next round's batch: data and applied index are atomic either way.</li>
 * </ol>
 *
 * <p>Threading: {@link #group}, {@link #newBatch} and {@link #write} may be called from several threads,
 * but a given group must be driven (its {@link GroupStorage} read, batches touching it built and written)
 * by one thread at a time. Reads of applied data ({@link #get}, {@link #scan}, ...) and snapshot reads are
 * thread-safe and may run on any thread (gRPC handlers). Every call blocks on local disk I/O only.
 *
 * <p>Errors: every method throws {@link StoreException} naming the cause (disk full, corruption, I/O
 * error, wrong node or cluster, incompatible format). After a failed {@link #write} the store refuses
 * further writes ({@link StoreException.Reason#FAILED}): the node must restart, and what it finds on disk
 * then is exactly what RocksDB recovered. A write that threw was never durable as far as callers know.
 */
public final class NodeStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeStore.class);

  static {
    RocksDB.loadLibrary();
  }

  private final Path dataDir;
  private final StoreIdentity identity;
  private final StorageOptions options;
  private final Rocks rocks;
  private final List<AutoCloseable> resources;
  private final Path stagingDir;
  private final Map<Long, GroupStorage> groups = new ConcurrentHashMap<>();
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions noSyncWrite = new WriteOptions().setSync(false);
  private final LongAdder syncedWrites = new LongAdder();
  private final LongAdder unsyncedWrites = new LongAdder();
  private final LongAdder recordsWritten = new LongAdder();
  private final LongAdder entriesAppended = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private volatile StoreException writeFailure;
  private volatile boolean closed;

  private NodeStore(Path dataDir, StoreIdentity identity, StorageOptions options, Rocks rocks,
      List<AutoCloseable> resources) {
    this.dataDir = dataDir;
    this.identity = identity;
    this.options = options;
    this.rocks = rocks;
    this.resources = resources;
    this.stagingDir = dataDir.resolve(STAGING_DIR);
  }

  static final String DB_DIR = "db";
  static final String STAGING_DIR = "snapshot-staging";

  /**
   * Opens the node's store in {@code dataDir} (created when missing and
   * {@link StorageOptions#createIfMissing()}), checks that it belongs to this node and cluster and uses
   * this code's format, and finishes any snapshot install a crash interrupted. Blocks while RocksDB
   * recovers its write-ahead log.
   *
   * @throws StoreException with reason {@code MISSING}, {@code NOT_A_STORE}, {@code IDENTITY_MISMATCH},
   *     {@code INCOMPATIBLE_FORMAT}, {@code CORRUPTION}, {@code IO_ERROR} or {@code DISK_FULL}
   */
  public static NodeStore open(Path dataDir, long nodeId, String clusterId, StorageOptions options) {
    Objects.requireNonNull(clusterId, "clusterId");
    StoreIdentity wanted = new StoreIdentity(StoreIdentity.CURRENT_FORMAT, nodeId, clusterId);
    Path dbDir = dataDir.resolve(DB_DIR);
    boolean fresh = prepareDirectory(dataDir, dbDir, options);
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      Rocks rocks = openRocks(dbDir, fresh, options, resources);
      checkIdentity(rocks, wanted, dataDir);
      NodeStore store = new NodeStore(dataDir, wanted, options, rocks, resources);
      Files.createDirectories(store.stagingDir);
      SnapshotInstaller.recover(store, rocks, store.stagingDir);
      store.cleanStaging();
      log.info("opened store {} as node {} of cluster {}", dataDir, Long.toUnsignedString(nodeId), clusterId);
      return store;
    } catch (RocksDBException e) {
      closeAll(resources);
      throw RocksErrors.wrap("opening the store in " + dataDir, e);
    } catch (IOException e) {
      closeAll(resources);
      throw new StoreException(StoreException.Reason.IO_ERROR, "opening the store in " + dataDir + ": " + e, e);
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
  }

  /** Returns true when a new store must be created. */
  private static boolean prepareDirectory(Path dataDir, Path dbDir, StorageOptions options) {
    if (Files.exists(dbDir.resolve("CURRENT"))) {
      return false;
    }
    if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
      throw new StoreException(StoreException.Reason.NOT_A_STORE, dataDir + " is a file, not a directory");
    }
    if (Files.isDirectory(dbDir) && !isEmptyDir(dbDir)) {
      throw new StoreException(StoreException.Reason.CORRUPTION, dbDir
          + " holds files but no CURRENT file: the database is damaged (or not a RocksDB); refusing to open");
    }
    if (!options.createIfMissing()) {
      throw new StoreException(StoreException.Reason.MISSING, "no store in " + dataDir
          + " and createIfMissing is off");
    }
    if (Files.isDirectory(dataDir)) {
      try (Stream<Path> s = Files.list(dataDir)) {
        List<String> foreign = s.map(p -> p.getFileName().toString())
            .filter(n -> !n.equals(DB_DIR) && !n.equals(STAGING_DIR)).toList();
        if (!foreign.isEmpty()) {
          throw new StoreException(StoreException.Reason.NOT_A_STORE, dataDir
              + " is not empty and holds no store (found " + foreign + "); refusing to create one there");
        }
      } catch (IOException e) {
        throw new StoreException(StoreException.Reason.IO_ERROR, "listing " + dataDir + ": " + e, e);
      }
    }
    try {
      Files.createDirectories(dbDir);
    } catch (IOException e) {
      throw new StoreException(StoreException.Reason.IO_ERROR, "creating " + dbDir + ": " + e, e);
    }
    return true;
  }

  private static boolean isEmptyDir(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      throw new StoreException(StoreException.Reason.IO_ERROR, "listing " + dir + ": " + e, e);
    }
  }

  private static Rocks openRocks(Path dbDir, boolean fresh, StorageOptions o, List<AutoCloseable> res)
      throws RocksDBException {
    LRUCache cache = add(res, new LRUCache(o.blockCacheBytes()));
    WriteBufferManager wbm = add(res, new WriteBufferManager(o.writeBufferBytes(), cache));
    DBOptions db = add(res, new DBOptions()
        .setCreateIfMissing(fresh)
        .setCreateMissingColumnFamilies(fresh)
        .setWriteBufferManager(wbm)
        .setMaxTotalWalSize(o.maxWalBytes())
        .setMaxBackgroundJobs(o.backgroundJobs())
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
        .setParanoidChecks(true)
        .setBytesPerSync(1 << 20)
        .setKeepLogFileNum(3)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL));
    if (!fresh) {
      List<String> existing = new ArrayList<>();
      try (Options lo = new Options()) {
        for (byte[] name : RocksDB.listColumnFamilies(lo, dbDir.toString())) {
          existing.add(new String(name, java.nio.charset.StandardCharsets.UTF_8));
        }
      }
      for (String cf : List.of(Rocks.LOG_CF, Rocks.STATE_CF, Rocks.DATA_CF)) {
        if (!existing.contains(cf)) {
          // A damaged MANIFEST lists no column families either: tell it from a foreign database by
          // opening it read-only, which fails on a damaged one (Corruption).
          try (Options ro = new Options(); RocksDB probe = RocksDB.openReadOnly(ro, dbDir.toString())) {
            probe.getLatestSequenceNumber();
          }
          throw new StoreException(StoreException.Reason.NOT_A_STORE, dbDir
              + " is a RocksDB without the column family '" + cf + "' (found " + existing + ")");
        }
      }
    }
    List<ColumnFamilyDescriptor> cfs = new ArrayList<>();
    for (String name : List.of("default", Rocks.LOG_CF, Rocks.STATE_CF, Rocks.DATA_CF)) {
      BlockBasedTableConfig table = new BlockBasedTableConfig()
          .setBlockCache(cache)
          .setCacheIndexAndFilterBlocks(true)
          .setPinL0FilterAndIndexBlocksInCache(true);
      if (name.equals(Rocks.DATA_CF)) {
        table.setFilterPolicy(add(res, new BloomFilter(10)));
      }
      ColumnFamilyOptions cfo = add(res, groupHintedOptions()
          .setTableFormatConfig(table)
          .setWriteBufferSize(o.memtableBytes())
          .setMaxWriteBufferNumber(3));
      if (!name.equals(Rocks.DATA_CF)) {
        // Log entries live until the next log compaction and hard states are rewritten every round:
        // compressing them on every flush and compaction only burns CPU (snappy was 4% of a node's CPU
        // under write load). User data keeps RocksDB's default compression.
        cfo.setCompressionType(CompressionType.NO_COMPRESSION);
      }
      cfs.add(new ColumnFamilyDescriptor(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), cfo));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB rocksDb = RocksDB.open(db, dbDir.toString(), cfs, handles);
    // Closed in reverse order: handles before the database, the database before its options.
    res.addAll(handles);
    res.add(rocksDb);
    return new Rocks(rocksDb, handles.get(0), handles.get(1), handles.get(2), handles.get(3));
  }

  /**
   * Column family options whose memtable keeps one insert position per group (every key here starts
   * with the group's or shard's 8-byte id). A round writes a few entries for each of many groups, and
   * the skip list's own position hint only helps consecutive keys: without this, nearly every insert
   * searched the memtable from its top level (RocksDB's {@code RecomputeSpliceLevels}, 14% of a node's
   * CPU with 64 active shards). With it, a group's next log entry goes in next to its previous one.
   * RocksJava has no setter for {@code memtable_insert_with_hint_prefix_extractor}, hence the options
   * string; {@code OpenTest} checks that the database took it.
   */
  private static ColumnFamilyOptions groupHintedOptions() throws RocksDBException {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("memtable_insert_with_hint_prefix_extractor", "rocksdb.FixedPrefix.8");
    try (org.rocksdb.ConfigOptions co = new org.rocksdb.ConfigOptions()) {
      ColumnFamilyOptions o = ColumnFamilyOptions.getColumnFamilyOptionsFromProps(co, p);
      if (o == null) {
        throw new RocksDBException("RocksDB refused memtable_insert_with_hint_prefix_extractor");
      }
      return o;
    }
  }

  private static void checkIdentity(Rocks rocks, StoreIdentity wanted, Path dataDir) throws RocksDBException {
    byte[] raw = rocks.db().get(rocks.defaultCf(), Keys.IDENTITY);
    if (raw == null) {
      if (!isEmpty(rocks, rocks.state()) || !isEmpty(rocks, rocks.data())) {
        throw new StoreException(StoreException.Reason.NOT_A_STORE, dataDir
            + " holds data but no identity record: not a kvstore store, or damaged");
      }
      try (WriteOptions sync = new WriteOptions().setSync(true)) {
        rocks.db().put(rocks.defaultCf(), sync, Keys.IDENTITY, wanted.encode());
      }
      return;
    }
    StoreIdentity found = StoreIdentity.decode(raw);
    if (found.formatVersion() != wanted.formatVersion()) {
      throw new StoreException(StoreException.Reason.INCOMPATIBLE_FORMAT, dataDir + " uses on-disk format "
          + found.formatVersion() + "; this build reads format " + wanted.formatVersion());
    }
    if (found.nodeId() != wanted.nodeId() || !found.clusterId().equals(wanted.clusterId())) {
      throw new StoreException(StoreException.Reason.IDENTITY_MISMATCH, dataDir + " belongs to node "
          + Long.toUnsignedString(found.nodeId()) + " of cluster '" + found.clusterId()
          + "', not to node " + Long.toUnsignedString(wanted.nodeId()) + " of cluster '"
          + wanted.clusterId() + "'");
    }
  }

  private static boolean isEmpty(Rocks rocks, ColumnFamilyHandle cf) {
    try (RocksIterator it = rocks.db().newIterator(cf)) {
      it.seekToFirst();
      return !it.isValid();
    }
  }

  // ---------------------------------------------------------------- groups and writes

  /**
   * The storage of one group, loaded from disk on first use and cached (a group never written comes back
   * empty: {@link GroupStorage#exists()} false). A group whose records cannot be read is returned
   * <em>failed</em>: {@link GroupStorage#failure()} names the cause and its methods throw it; the other
   * groups are unaffected.
   */
  public GroupStorage group(long groupId) {
    enter();
    try {
      return groups.computeIfAbsent(groupId, id -> GroupStorage.load(id, rocks));
    } finally {
      exit();
    }
  }

  /** The ids of every group that has state on this node, in unsigned order. Reads RocksDB. */
  public List<Long> groupIds() {
    enter();
    try (RocksIterator it = rocks.db().newIterator(rocks.state())) {
      List<Long> ids = new ArrayList<>();
      it.seekToFirst();
      while (it.isValid()) {
        long id = Keys.getLong(it.key(), 0);
        ids.add(id);
        if (id == -1L) {
          break;
        }
        it.seek(Keys.stateKey(id + 1, (byte) 0));
      }
      it.status();
      return ids;
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("listing groups", e);
    } finally {
      exit();
    }
  }

  /** A new, empty batch; see {@link StoreBatch}. */
  public StoreBatch newBatch() {
    checkOpen();
    return new StoreBatch(this, rocks);
  }

  /**
   * Writes a batch atomically and, with {@link Durability#SYNC}, durably: on return every change in it is
   * on disk (one fsync of the write-ahead log, whatever the number of groups), and the
   * {@link GroupStorage} views of its groups show it. The batch is consumed (closed) either way.
   *
   * @throws IllegalArgumentException if the batch compacts a log or drops a group and {@code durability}
   *     is {@code NO_SYNC}
   * @throws StoreException if RocksDB refused the write (disk full, I/O error): nothing may be
   *     acknowledged, the in-memory views are unchanged, and the store refuses further writes
   */
  public void write(StoreBatch batch, Durability durability) {
    batch.consume();
    try {
      if (durability == Durability.NO_SYNC && batch.syncRequiredBy() != null) {
        throw new IllegalArgumentException(batch.syncRequiredBy() + " must be written with SYNC");
      }
      enter();
      try {
        StoreException failed = writeFailure;
        if (failed != null) {
          throw new StoreException(StoreException.Reason.FAILED,
              "an earlier write failed; reopen the store (" + failed.getMessage() + ")", failed);
        }
        boolean sync = durability == Durability.SYNC;
        try {
          rocks.db().write(sync ? syncWrite : noSyncWrite, batch.rocksBatch());
        } catch (RocksDBException e) {
          StoreException err = RocksErrors.wrap("writing a batch of " + batch.groupCount() + " groups", e);
          writeFailure = err;
          log.error("store {} stops accepting writes: {}", dataDir, err.getMessage());
          throw err;
        }
        (sync ? syncedWrites : unsyncedWrites).increment();
        entriesAppended.add(batch.entryCount());
        bytesWritten.add(batch.sizeBytes());
        recordsWritten.add(batch.recordCount());
        batch.publish();
      } finally {
        exit();
      }
    } finally {
      batch.close();
    }
  }

  /** For tests in this package: the raw database. */
  Rocks rocks() {
    return rocks;
  }

  void forgetGroup(long groupId) {
    groups.remove(groupId);
  }

  // ---------------------------------------------------------------- reads of applied data

  /** The value of a user key of a shard, or null. Thread-safe; reads the latest applied state. */
  public byte[] get(long shardId, byte[] key) {
    return getRaw(Keys.dataKey(shardId, Keys.NS_USER, key));
  }

  /** The value of a shard system record, or null. */
  public byte[] getSystem(long shardId, byte[] key) {
    return getRaw(Keys.dataKey(shardId, Keys.NS_SYSTEM, key));
  }

  /**
   * User keys of a shard in {@code [startInclusive, endExclusive)} (null end: to the end of the shard), in
   * unsigned byte order, at most {@code limit} of them. The result is one consistent view (RocksDB
   * iterators read an implicit snapshot), however many writes happen meanwhile. Thread-safe.
   */
  public List<KeyValue> scan(long shardId, byte[] startInclusive, byte[] endExclusive, int limit) {
    return scanRaw(shardId, Keys.NS_USER, startInclusive, endExclusive, limit);
  }

  /** User keys of a shard starting with {@code prefix}, at most {@code limit}; see {@link #scan}. */
  public List<KeyValue> scanPrefix(long shardId, byte[] prefix, int limit) {
    return scanRaw(shardId, Keys.NS_USER, prefix, Keys.prefixEnd(prefix), limit);
  }

  /** Shard system records starting with {@code prefix}, at most {@code limit}; see {@link #scan}. */
  public List<KeyValue> scanSystem(long shardId, byte[] prefix, int limit) {
    return scanRaw(shardId, Keys.NS_SYSTEM, prefix, Keys.prefixEnd(prefix), limit);
  }

  private byte[] getRaw(byte[] dataKey) {
    enter();
    try {
      return rocks.db().get(rocks.data(), dataKey);
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("reading a key", e);
    } finally {
      exit();
    }
  }

  private List<KeyValue> scanRaw(long shardId, byte ns, byte[] start, byte[] end, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    List<KeyValue> out = new ArrayList<>();
    if (limit == 0) {
      return out;
    }
    enter();
    try (ReadOptions ro = new ReadOptions();
        Slice upper = new Slice(end == null ? Keys.namespaceEnd(shardId, ns) : Keys.dataKey(shardId, ns, end))) {
      ro.setIterateUpperBound(upper);
      try (RocksIterator it = rocks.db().newIterator(rocks.data(), ro)) {
        for (it.seek(Keys.dataKey(shardId, ns, start == null ? new byte[0] : start));
            it.isValid() && out.size() < limit; it.next()) {
          out.add(new KeyValue(Keys.userKey(it.key()), it.value()));
        }
        it.status();
      }
      return out;
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("scanning shard " + shardId, e);
    } finally {
      exit();
    }
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * A consistent snapshot of a shard's whole range (user keys, system records, applied index and
   * membership) as of now, to stream to a lagging replica in chunks. Writes continue meanwhile. Close it
   * to release the RocksDB snapshot.
   *
   * @throws IllegalStateException if nothing was applied to the shard yet
   */
  public ShardSnapshot openSnapshot(long shardId) {
    enter();
    try {
      return ShardSnapshot.open(this, rocks, shardId);
    } finally {
      exit();
    }
  }

  /**
   * Makes the group's latest snapshot reproducible and returns it: compacts the log up to the applied
   * index with {@code point} as the compaction point, stores {@code point}'s membership with the applied
   * index, and pins a view of the shard at that very state (one synced write), so
   * {@code snapshot.metadata()} equals {@link GroupStorage#snapshotMetadata()} afterwards. This is what
   * a leader's driver keeps per group to fill the core's {@code MSG_SNAPSHOT} chunks (the core names the
   * snapshot by {@code snapshotMetadata()}); close the previous one when taking a new one. Call it on
   * the group's thread (no apply may run in between). Pinned views do not survive the process: after a
   * restart, call it again (at the applied index) before the group needs to send a snapshot.
   *
   * @param point the Raft core's {@code RawNode.snapshotMetadata(appliedIndex)}
   * @throws IllegalArgumentException if {@code point} is not at the applied index or its term differs
   */
  public ShardSnapshot compactAndSnapshot(long groupId, SnapshotMetadata point) {
    compactLog(groupId, point);
    ShardSnapshot snap = openSnapshot(groupId);
    if (snap.metadata().getIndex() != point.getIndex() || snap.metadata().getTerm() != point.getTerm()) {
      snap.close();
      throw new IllegalStateException("group " + groupId + ": the shard was applied to while its snapshot was"
          + " taken (applied " + snap.metadata().getIndex() + ", snapshot point " + point.getIndex()
          + "); call this on the group's thread");
    }
    return snap;
  }

  /**
   * Compacts a group's log up to its applied state, {@code point} (Raft §7), with one synced write, and
   * records the point's membership with the applied index; the same rules as
   * {@link #compactAndSnapshot}, but no snapshot is pinned. A pinned {@link ShardSnapshot} is a RocksDB
   * snapshot, which keeps every version written after it alive through flushes and compactions (for
   * every group, not just its own) until it is closed: pin one only while a follower needs it.
   */
  public void compactLog(long groupId, SnapshotMetadata point) {
    GroupStorage g = group(groupId);
    if (point.getIndex() != g.appliedIndex() || point.getTerm() != g.appliedTerm()) {
      throw new IllegalArgumentException("group " + groupId + ": snapshot point " + point.getIndex() + "/"
          + point.getTerm() + " is not the applied state " + g.appliedIndex() + "/" + g.appliedTerm());
    }
    if (point.getIndex() == 0) {
      throw new IllegalArgumentException("group " + groupId + " has applied nothing: no snapshot to take");
    }
    StoreBatch b = newBatch().setConfState(groupId, point.getConfState());
    if (point.getIndex() >= g.firstIndex()) {
      b.compactLog(groupId, point);
    }
    write(b, Durability.SYNC);
  }

  /**
   * Starts receiving a snapshot for a shard: chunks are staged into an SST file in the data directory's
   * {@code snapshot-staging} folder, then {@link #installSnapshot} ingests it. Staged data does not
   * survive a restart (the sender starts again from offset 0).
   */
  public IncomingSnapshot receiveSnapshot(long shardId, SnapshotMetadata metadata) {
    checkOpen();
    return IncomingSnapshot.create(stagingDir, shardId, metadata, options);
  }

  /**
   * Installs a completely received snapshot: the shard's range is replaced by the snapshot's data
   * (SST ingestion), its applied index and membership become the snapshot's, and the group's log is
   * reset to start right after the snapshot (hard state commit raised to the snapshot index if below).
   * Durable on return; a crash in the middle is finished on the next open. Call it from the group's
   * thread. Readers of the shard may see it empty while this runs.
   *
   * @throws IllegalStateException if the snapshot is incomplete or not newer than the applied index
   * @throws StoreException if the disk refused it; the group is then failed until the store is reopened
   */
  public void installSnapshot(IncomingSnapshot snapshot) {
    enter();
    try {
      StoreException failed = writeFailure;
      if (failed != null) {
        throw new StoreException(StoreException.Reason.FAILED, "an earlier write failed", failed);
      }
      SnapshotInstaller.install(this, rocks, stagingDir, snapshot, group(snapshot.shardId()));
    } finally {
      exit();
    }
  }

  // ---------------------------------------------------------------- misc

  /** Write counters since open (the benchmarks report fsyncs from these). */
  /**
   * RocksDB snapshots open now: the shard snapshots pinned for followers ({@link #compactAndSnapshot},
   * {@link #openSnapshot}) and reads in progress. Each keeps every version written after it alive through
   * flushes and compactions, so a steady non-zero value under write load costs CPU and disk.
   */
  public long openRocksSnapshots() {
    enter();
    try {
      return rocks.db().getLongProperty("rocksdb.num-snapshots");
    } catch (RocksDBException e) {
      throw RocksErrors.wrap("reading the number of open snapshots", e);
    } finally {
      exit();
    }
  }

  public StoreStats stats() {
    return new StoreStats(syncedWrites.sum(), unsyncedWrites.sum(), entriesAppended.sum(), bytesWritten.sum(),
        recordsWritten.sum());
  }

  public long nodeId() {
    return identity.nodeId();
  }

  public String clusterId() {
    return identity.clusterId();
  }

  public Path dataDir() {
    return dataDir;
  }

  public StorageOptions options() {
    return options;
  }

  /**
   * Closes the database (flushing nothing extra: everything written is already in the write-ahead log).
   * Waits for running reads and writes; later calls throw {@link StoreException.Reason#CLOSED}.
   */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      groups.clear();
      syncWrite.close();
      noSyncWrite.close();
      closeAll(resources);
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  void enter() {
    lifecycle.readLock().lock();
    if (closed) {
      lifecycle.readLock().unlock();
      throw new StoreException(StoreException.Reason.CLOSED, "the store in " + dataDir + " is closed");
    }
  }

  void exit() {
    lifecycle.readLock().unlock();
  }

  private void checkOpen() {
    if (closed) {
      throw new StoreException(StoreException.Reason.CLOSED, "the store in " + dataDir + " is closed");
    }
  }

  private void cleanStaging() throws IOException {
    try (Stream<Path> s = Files.list(stagingDir)) {
      for (Path p : s.toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> res, T r) {
    res.add(r);
    return r;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.warn("closing {}: {}", resources.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    resources.clear();
  }
}
