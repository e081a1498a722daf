package io.kvstore.bench.ring;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.Limits;
import io.kvstore.proto.v1.Node;
import io.kvstore.proto.v1.Shard;
import io.kvstore.ring.KeyHash;
import io.kvstore.ring.RoutingTable;
import io.kvstore.ring.ShardRing;
import io.kvstore.ring.Xxh64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Key → shard on the hot path: XXH64 with hash tags, then the binary search over the range starts of a
 * 64-shard map (512 vnodes a shard, about 32K ranges). Keys cycle through a pool of 4096 random keys so the
 * branch predictor cannot learn one key. Run with {@code -prof gc} to see that a lookup allocates nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class KeyLookupBenchmark {

    private static final int POOL = 4096;

    @Param({"16", "64", "256"})
    public int keyBytes;

    @Param({"64"})
    public int shards;

    private byte[][] keys;
    private ByteString[] byteStringKeys;
    private long[] hashes;
    private RoutingTable table;
    private int next;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        keys = new byte[POOL][];
        byteStringKeys = new ByteString[POOL];
        hashes = new long[POOL];
        for (int i = 0; i < POOL; i++) {
            keys[i] = new byte[keyBytes];
            random.nextBytes(keys[i]);
            // No braces: a brace would make the key hash only its tag and shorten the work.
            for (int j = 0; j < keyBytes; j++) {
                if (keys[i][j] == '{') {
                    keys[i][j] = 'x';
                }
            }
            byteStringKeys[i] = ByteString.copyFrom(keys[i]);
            hashes[i] = KeyHash.of(keys[i]);
        }
        List<Node> nodes = LongStream.rangeClosed(1, 10).mapToObj(id -> Node.newBuilder().setId(id)
                .setAddress("127.0.0.1:" + (7000 + id)).setWeight(1).build()).toList();
        table = RoutingTable.bootstrap("bench", nodes, ShardRing.ofCount(shards), 3, Limits.getDefaultInstance());
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (POOL - 1);
        return i;
    }

    /** XXH64 of the whole key, without the hash-tag scan. */
    @Benchmark
    public long xxh64Only() {
        byte[] key = keys[nextIndex()];
        return Xxh64.hash(key, 0, key.length, 0L);
    }

    /** XXH64 of the key (with the hash-tag scan), nothing else. */
    @Benchmark
    public long keyHash() {
        return KeyHash.of(keys[nextIndex()]);
    }

    /** The binary search alone, over precomputed hashes. */
    @Benchmark
    public long searchOnly() {
        return table.lookup().shardIdForHash(hashes[nextIndex()]);
    }

    /** The whole hot path a router runs: byte[] key → Shard. */
    @Benchmark
    public Shard shardForKeyBytes() {
        return table.shardForKey(keys[nextIndex()]);
    }

    /** The same from a protobuf ByteString key (as a gRPC request carries it). */
    @Benchmark
    public Shard shardForKeyByteString() {
        return table.shardForKey(byteStringKeys[nextIndex()]);
    }
}
