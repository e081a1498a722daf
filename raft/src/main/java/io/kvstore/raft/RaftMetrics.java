package io.kvstore.raft;

import java.util.EnumMap;
import java.util.Map;

/**
 * Counters of one group's core, for the driver to export (e.g. as Prometheus counters summed over groups).
 * Read them from the thread that drives the group; the values only grow.
 */
public final class RaftMetrics {
  private final long[] dropped = new long[DropReason.values().length];
  private long electionsStarted;
  private long electionsWon;
  private long readIndexReads;
  private long leaseReads;
  private long snapshotsSent;
  private long snapshotsInstalled;
  private long proposalsRejected;
  private long leadersReportedDown;

  /** Inbound messages dropped (or rejected) for {@code reason}. */
  public long dropped(DropReason reason) {
    return dropped[reason.ordinal()];
  }

  /** All drop counters, by reason. */
  public Map<DropReason, Long> droppedByReason() {
    Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      m.put(r, dropped[r.ordinal()]);
    }
    return m;
  }

  public long droppedTotal() {
    long t = 0;
    for (long d : dropped) {
      t += d;
    }
    return t;
  }

  /** Real elections (not pre-votes) this node started. */
  public long electionsStarted() {
    return electionsStarted;
  }

  public long electionsWon() {
    return electionsWon;
  }

  /** Reads answered after a heartbeat round (ReadIndex, Raft §6.4). */
  public long readIndexReads() {
    return readIndexReads;
  }

  /** Reads answered by the leader lease without a heartbeat round. */
  public long leaseReads() {
    return leaseReads;
  }

  /** Snapshot transfers started by this node as leader. */
  public long snapshotsSent() {
    return snapshotsSent;
  }

  /** Snapshots this node received completely and handed to its driver to install. */
  public long snapshotsInstalled() {
    return snapshotsInstalled;
  }

  /** Proposals refused (not leader, transfer in progress, pending conf change). */
  public long proposalsRejected() {
    return proposalsRejected;
  }

  /** Times this follower forgot its leader early because the driver reported that leader's process gone. */
  public long leadersReportedDown() {
    return leadersReportedDown;
  }

  void leaderReportedDown() {
    leadersReportedDown++;
  }

  void drop(DropReason reason) {
    dropped[reason.ordinal()]++;
  }

  void electionStarted() {
    electionsStarted++;
  }

  void electionWon() {
    electionsWon++;
  }

  void readIndexRead() {
    readIndexReads++;
  }

  void leaseRead() {
    leaseReads++;
  }

  void snapshotSent() {
    snapshotsSent++;
  }

  void snapshotInstalled() {
    snapshotsInstalled++;
  }

  void proposalRejected() {
    proposalsRejected++;
  }
}
