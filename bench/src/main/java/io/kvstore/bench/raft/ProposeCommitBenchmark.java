package io.kvstore.bench.raft;

import io.kvstore.raft.MemoryStorage;
import io.kvstore.raft.proto.SnapshotMetadata;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 3-node in-memory propose→commit throughput of the Raft core, in one thread: {@code batch} proposals
 * between two Readies (so they travel as one append per follower), then the group is driven until every
 * replica applied them. The score is entries per second on one core (the whole group runs on it: three
 * replicas' work). Storage is {@link MemoryStorage}, compacted every so often so memory stays flat.
 *
 * <p>Run: {@code java -cp bench/target/classes:bench/target/lib/* org.openjdk.jmh.Main
 * ProposeCommitBenchmark -f1 -wi 2 -i 3}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class ProposeCommitBenchmark {
  static final int OPS = 1024;

  @Param({"1", "16", "256"})
  int batch;

  @Param({"128"})
  int entryBytes;

  private InProcessGroup group;
  private byte[] payload;

  @Setup(Level.Trial)
  public void setup() {
    group = new InProcessGroup(3, false, 1).elect();
    payload = new byte[entryBytes];
  }

  @Benchmark
  @OperationsPerInvocation(OPS)
  public long proposeAndCommit() {
    long last = 0;
    for (int done = 0; done < OPS; done += batch) {
      for (int i = 0; i < batch; i++) {
        last = group.leader().propose(payload).index();
      }
      group.drive();
    }
    if (group.applied[1] < last || group.applied[2] < last) {
      throw new IllegalStateException("not applied: " + last);
    }
    compact();
    return last;
  }

  private void compact() {
    for (int i = 0; i < 3; i++) {
      MemoryStorage s = group.storages[i];
      long applied = group.applied[i];
      if (applied - s.snapshotMetadata().getIndex() > 10_000) {
        SnapshotMetadata meta = group.nodes[i].snapshotMetadata(applied - 1000);
        s.compact(meta);
      }
    }
  }

}
