package io.kvstore.bench.chaos;

import java.util.List;
import java.util.Set;

/**
 * Where the nodes of a chaos cluster live on the network, and how links between them are cut.
 *
 * <p>Two implementations: {@link NamespaceNetwork} gives every node its own Linux network namespace and
 * address and cuts links with packet filters (root, {@code ip} and {@code iptables} needed); {@link
 * LoopbackNetwork} runs every node on 127.0.0.1 and cannot partition. Clients always reach every node:
 * partitions cut node-to-node traffic only, as in Jepsen.
 *
 * <p>Methods block until the change is in force (they run {@code ip}/{@code iptables}) and throw
 * {@link IllegalStateException} when a command fails. Not thread-safe: one fault injector drives it.
 */
interface Network extends AutoCloseable {

  /** The address node {@code nodeId} (1-based) binds and is reached at. */
  String address(int nodeId);

  /** The command prefix that runs a program inside node {@code nodeId}'s network (empty: none). */
  List<String> launchPrefix(int nodeId);

  /** Whether {@link #drop} works. */
  boolean canPartition();

  /** From now on, packets sent by node {@code from} to node {@code to} are silently dropped. */
  void drop(int from, int to);

  /** Drops every packet between nodes of different groups (both directions); nodes in no group keep all links. */
  default void partition(List<Set<Integer>> groups, int nodes) {
    for (int a = 1; a <= nodes; a++) {
      for (int b = 1; b <= nodes; b++) {
        if (a != b && !shareGroup(groups, a, b)) {
          drop(a, b);
        }
      }
    }
  }

  /** Restores every link. */
  void heal();

  /** Removes everything the network created. Never throws. */
  @Override
  void close();

  private static boolean shareGroup(List<Set<Integer>> groups, int a, int b) {
    boolean aGrouped = false;
    boolean bGrouped = false;
    for (Set<Integer> g : groups) {
      aGrouped |= g.contains(a);
      bGrouped |= g.contains(b);
      if (g.contains(a) && g.contains(b)) {
        return true;
      }
    }
    return !aGrouped || !bGrouped;
  }
}
