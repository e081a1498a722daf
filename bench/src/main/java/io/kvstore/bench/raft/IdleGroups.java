package io.kvstore.bench.raft;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;

/**
 * Cost of idle Raft groups: heap per replica (10,000 groups on one node under 100 MB is the target), and
 * the CPU to tick 1,000 idle groups for a simulated minute (600 ticks of 100 ms), with and without
 * quiescence. Each group has 3 replicas in this JVM; heap and CPU are reported per node (one replica of
 * each group), i.e. divided by 3.
 *
 * <p>Run: {@code java -Xmx2g -cp bench/target/classes:bench/target/lib/* io.kvstore.bench.raft.IdleGroups
 * [groups]}
 */
public final class IdleGroups {
  private IdleGroups() {}

  public static void main(String[] args) {
    int groups = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long before = usedHeap(mem);
    InProcessGroup[] all = new InProcessGroup[groups];
    for (int g = 0; g < groups; g++) {
      all[g] = new InProcessGroup(3, true, g).elect();
      all[g].leader().propose(new byte[16]);
      all[g].drive();
    }
    // Let every group go quiet.
    for (int t = 0; t < 5; t++) {
      for (InProcessGroup g : all) {
        g.tick();
      }
    }
    long after = usedHeap(mem);
    double perReplica = (after - before) / (3.0 * groups);
    System.out.printf(
        "idle groups: %d groups x 3 replicas: heap %.1f MB in all, %.0f bytes per replica;"
            + " 10,000 groups on one node ~ %.1f MB%n",
        groups, (after - before) / 1e6, perReplica, perReplica * 10_000 / 1e6);

    int cpuGroups = Math.min(1000, groups);
    for (boolean quiesce : new boolean[] {true, false}) {
      InProcessGroup[] set = new InProcessGroup[cpuGroups];
      for (int g = 0; g < cpuGroups; g++) {
        set[g] = quiesce ? all[g] : new InProcessGroup(3, false, g).elect();
      }
      for (int t = 0; t < 50; t++) {
        for (InProcessGroup g : set) {
          g.tick(); // warm up
        }
      }
      long msgs0 = 0;
      for (InProcessGroup g : set) {
        msgs0 += g.messages;
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long cpu0 = threads.getCurrentThreadCpuTime();
      for (int t = 0; t < 600; t++) {
        for (InProcessGroup g : set) {
          g.tick();
        }
      }
      long cpu = threads.getCurrentThreadCpuTime() - cpu0;
      long msgs = -msgs0;
      for (InProcessGroup g : set) {
        msgs += g.messages;
      }
      System.out.printf(
          "idle CPU: %d groups, 600 ticks (one minute at 100 ms), quiesce=%s: %.1f ms CPU per node"
              + " (%.3f%% of one core), %d messages per node%n",
          cpuGroups, quiesce, cpu / 3 / 1e6, cpu / 3 / 1e6 / 60_000 * 100, msgs / 3);
    }
  }

  private static long usedHeap(MemoryMXBean mem) {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return mem.getHeapMemoryUsage().getUsed();
  }
}
