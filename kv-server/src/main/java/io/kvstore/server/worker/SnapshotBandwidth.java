package io.kvstore.server.worker;

/**
 * The node's budget of snapshot bytes per second (a token bucket shared by every group and worker of the
 * node), so that replica moves and lagging followers cannot take the whole network or disk. A chunk over
 * budget is simply not sent: the Raft core sends it again after {@code snapshotRetryTicks}, so a
 * throttled stream slows down and never fails. The bucket holds at most one second of budget (and never
 * less than one chunk, so any chunk can pass eventually).
 *
 * <p>Thread-safe. {@code bytesPerSecond} 0 means no limit. The clock is passed in (nanoseconds).
 */
public final class SnapshotBandwidth {
  private volatile long bytesPerSecond;
  private double tokens;
  private long lastNanos;
  private boolean started;

  public SnapshotBandwidth(long bytesPerSecond) {
    setBytesPerSecond(bytesPerSecond);
  }

  /** Changes the budget (0: no limit). */
  public void setBytesPerSecond(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("snapshot bandwidth must be 0 (no limit) or more, got " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
  }

  public long bytesPerSecond() {
    return bytesPerSecond;
  }

  /** Takes {@code bytes} from the budget if it holds them now; false (nothing taken) otherwise. */
  public synchronized boolean tryTake(long bytes, long nowNanos) {
    long rate = bytesPerSecond;
    if (rate == 0) {
      return true;
    }
    double capacity = Math.max(rate, bytes);
    if (!started) {
      started = true;
      tokens = capacity;
    } else {
      tokens = Math.min(capacity, tokens + (nowNanos - lastNanos) / 1e9 * rate);
    }
    lastNanos = nowNanos;
    if (tokens < bytes) {
      return false;
    }
    tokens -= bytes;
    return true;
  }
}
