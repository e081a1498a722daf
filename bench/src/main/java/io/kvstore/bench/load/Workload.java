package io.kvstore.bench.load;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A YCSB-style operation mix. A, B and C are YCSB's core workloads of the same names (without scans and
 * inserts); W and CAS are ours.
 */
public enum Workload {
  /** YCSB A, update heavy: 50% reads, 50% updates. */
  A("50/50 read/update", 50, 50, 0),
  /** YCSB B, read mostly: 95% reads, 5% updates. */
  B("95/5 read/update", 95, 5, 0),
  /** YCSB C, read only. */
  C("read only", 100, 0, 0),
  /** Write only: every operation is a put. */
  W("write only", 0, 100, 0),
  /** CAS heavy: 50% reads, 50% compare-and-swap on the last version seen. */
  CAS("50/50 read/CAS", 50, 0, 50);

  private final String description;
  private final int readPercent;
  private final int updatePercent;
  private final int casPercent;

  Workload(String description, int readPercent, int updatePercent, int casPercent) {
    if (readPercent + updatePercent + casPercent != 100) {
      throw new AssertionError(name() + " does not add up to 100%");
    }
    this.description = description;
    this.readPercent = readPercent;
    this.updatePercent = updatePercent;
    this.casPercent = casPercent;
  }

  public String description() {
    return description;
  }

  /** The share of operations of this type, in percent. */
  public int percent(OpType type) {
    return switch (type) {
      case READ -> readPercent;
      case UPDATE -> updatePercent;
      case CAS -> casPercent;
    };
  }

  /** True when some operations read keys that must exist, so the keys are loaded before the run. */
  public boolean needsLoadedKeys() {
    return readPercent > 0 || casPercent > 0;
  }

  /** Draws the next operation's type. */
  public OpType next(SplittableRandom random) {
    int r = random.nextInt(100);
    if (r < readPercent) {
      return OpType.READ;
    }
    return r < readPercent + updatePercent ? OpType.UPDATE : OpType.CAS;
  }

  /** Parses a name case-insensitively ("a", "W", "cas"). */
  public static Workload parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown workload '" + name + "': expected one of A, B, C, W, CAS", e);
    }
  }
}
