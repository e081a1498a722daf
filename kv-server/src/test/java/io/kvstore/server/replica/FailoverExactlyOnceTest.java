package io.kvstore.server.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.RequestHeader;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chain of compare-and-swap writes (each expects the version the previous one returned) while leaders
 * are stopped and restarted. Every write is retried with the same client id and sequence until it gets
 * an answer, on whichever node leads. If a retried write were applied twice, its second application
 * would find the version moved and answer {@code succeeded = false}; with the exactly-once table, the
 * retry is answered with the original result. So every link must succeed, and the chain must end at
 * its last value.
 */
class FailoverExactlyOnceTest {
  @TempDir
  Path dir;

  @Test
  void aCasChainSurvivesLeaderFailovers() throws Exception {
    run(3, 60);
  }

  @Test
  @Tag("soak")
  void aLongCasChainSurvivesManyLeaderFailovers() throws Exception {
    run(20, 100);
  }

  private void run(int failovers, int writesPerFailover) throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    try (ReplicaCluster cluster = new ReplicaCluster(dir, 3, 1,
        ReplicaCluster.fastOptions().withSnapshotEntries(50))) {
      ByteString key = ByteString.copyFromUtf8("chain");
      long client = 4242;
      long seq = 0;
      long version = 0;
      for (int f = 0; f < failovers; f++) {
        for (int i = 0; i < writesPerFailover; i++) {
          seq++;
          Command cas = new Command.CompareAndSwap(CompareAndSwapRequest.newBuilder()
              .setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(seq))
              .setKey(key).setExpectedVersion(version).setNewValue(ByteString.copyFromUtf8(Long.toString(seq)))
              .build());
          CommandResult.CompareAndSwap r = (CommandResult.CompareAndSwap) cluster.write(1, cas);
          assertThat(r.response().getSucceeded()).as("link %d (seed %d): %s", seq, seed, r.response()).isTrue();
          version = r.response().getVersion();
          if (i == writesPerFailover / 2) {
            // Stop the leader while a write is in flight: it may or may not commit. The retry, on the
            // next leader, must be answered with its original result if it did.
            long leader = cluster.awaitLeader(1);
            seq++;
            Command inFlight = new Command.CompareAndSwap(CompareAndSwapRequest.newBuilder()
                .setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(seq))
                .setKey(key).setExpectedVersion(version)
                .setNewValue(ByteString.copyFromUtf8(Long.toString(seq))).build());
            var pending = cluster.node(leader).propose(1, inFlight);
            // Let it reach the followers most of the time, not always.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(30)));
            cluster.stop(leader);
            final long stopped = leader;
            boolean answered = pending.isDone() && !pending.isCompletedExceptionally();
            CommandResult.CompareAndSwap m = (CommandResult.CompareAndSwap) cluster.write(1, inFlight);
            assertThat(m.response().getSucceeded()).as("retried link %d (seed %d, first answered: %s)", seq, seed,
                answered).isTrue();
            version = m.response().getVersion();
            cluster.start(stopped);
          }
        }
      }
      long leader = cluster.awaitLeader(1);
      var last = NodeReplicasTest.read(cluster.node(leader), 1, Consistency.CONSISTENCY_LINEARIZABLE, "chain");
      assertThat(last.get().getValue().toStringUtf8()).isEqualTo(Long.toString(seq));
      assertThat(last.get().getVersion()).isEqualTo(version);
    }
  }
}
