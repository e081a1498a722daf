package io.kvstore.server.watch;

import com.google.protobuf.ByteString;
import io.kvstore.server.statemachine.StoredValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Predicate;

/**
 * The recent changes of one shard as this replica applied them, for watches (watch.proto). In memory, a
 * bounded window: the last {@code capacity} changes. Invariant: every change with a version at or above
 * {@link #firstAvailable()} and at or below the applied index is in the window, in version order. A
 * restart (a fresh ChangeLog) or a snapshot install ({@link #reset}) starts the window at the applied index,
 * so watches can only resume from there on this replica.
 *
 * <p>Threads: {@link #append} and {@link #reset} on the shard's loop thread, after the apply batch is
 * written (so a watcher never sees a change before it is readable); {@link #subscribe} and
 * {@link #progress} from any thread. Subscribers are called under this log's lock, in order: they must
 * only queue (never block).
 */
public final class ChangeLog {
  /** One change: a put (value non-null) or a delete (value null) of {@code key} at {@code version}. */
  public record Change(long version, ByteString key, StoredValue value) {}

  /** Receives a shard's changes in order. Called under the log's lock: queue, never block. */
  public interface Subscriber {
    /** Changes that match the subscription (possibly none), and the applied index they bring it up to. */
    void onChanges(List<Change> changes, long upToVersion);

    /** The window restarted past the subscriber's position: it missed changes and must start over. */
    void onCompacted(long firstAvailable);
  }

  /** The start version is older than the window. */
  public static final class CompactedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final long firstAvailable;

    CompactedException(long requested, long firstAvailable) {
      super("version " + requested + " is no longer available; the oldest available is " + firstAvailable);
      this.firstAvailable = firstAvailable;
    }

    public long firstAvailable() {
      return firstAvailable;
    }
  }

  private record Sub(Predicate<ByteString> filter, Subscriber subscriber) {}

  /** The default window of changes kept per shard. */
  public static final int DEFAULT_CAPACITY = 10_000;

  private final int capacity;
  private final ArrayDeque<Change> window = new ArrayDeque<>();
  private final Set<Sub> subs = new CopyOnWriteArraySet<>();
  private long firstAvailable;
  private long applied;

  /** A window that starts after {@code appliedIndex} (the replica's applied index when it opened). */
  public ChangeLog(int capacity, long appliedIndex) {
    this.capacity = capacity;
    this.applied = appliedIndex;
    this.firstAvailable = appliedIndex + 1;
  }

  /** Loop thread: the changes of entries applied up to {@code appliedIndex}, in version order. */
  public synchronized void append(long appliedIndex, List<Change> changes) {
    for (Change c : changes) {
      window.addLast(c);
    }
    while (window.size() > capacity) {
      firstAvailable = window.removeFirst().version() + 1;
    }
    applied = Math.max(applied, appliedIndex);
    if (changes.isEmpty() && subs.isEmpty()) {
      return;
    }
    for (Sub s : subs) {
      List<Change> matching = new ArrayList<>();
      for (Change c : changes) {
        if (s.filter().test(c.key())) {
          matching.add(c);
        }
      }
      if (!matching.isEmpty()) {
        s.subscriber().onChanges(matching, applied);
      }
    }
  }

  /** Loop thread: the replica's data was replaced (a snapshot install): the window restarts after it. */
  public synchronized void reset(long appliedIndex) {
    window.clear();
    applied = appliedIndex;
    firstAvailable = appliedIndex + 1;
    for (Sub s : subs) {
      s.subscriber().onCompacted(firstAvailable);
    }
    subs.clear();
  }

  /**
   * Subscribes from {@code fromVersion} (0: the next change): the window's matching changes from there are
   * handed over at once, then every new one.
   *
   * @return a handle for {@link #unsubscribe} and {@link #progress}
   * @throws CompactedException when {@code fromVersion} is older than the window
   */
  public synchronized Object subscribe(long fromVersion, Predicate<ByteString> filter, Subscriber subscriber)
      throws CompactedException {
    long from = fromVersion == 0 ? applied + 1 : fromVersion;
    if (from < firstAvailable) {
      throw new CompactedException(from, firstAvailable);
    }
    List<Change> replay = new ArrayList<>();
    for (Change c : window) {
      if (c.version() >= from && filter.test(c.key())) {
        replay.add(c);
      }
    }
    subscriber.onChanges(replay, applied);
    Sub s = new Sub(filter, subscriber);
    subs.add(s);
    return s;
  }

  public void unsubscribe(Object handle) {
    subs.remove(handle);
  }

  /** Tells a subscriber, in order with its changes, that it has everything up to the applied index. */
  public synchronized void progress(Object handle) {
    if (subs.contains(handle)) {
      ((Sub) handle).subscriber().onChanges(List.of(), applied);
    }
  }

  public synchronized long firstAvailable() {
    return firstAvailable;
  }
}
