package io.kvstore.bench.load;

import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One store under load: its clients (one {@link KvDriver} each, each with one connection per server) and
 * what the generator knows of its keys, kept across the configurations run against it.
 *
 * <p>{@link #versions()} holds, per key index, the last version the generator saw (0: absent or not yet
 * known). Compare-and-swaps expect it; it is updated from every answer, so under contention some CAS
 * compare against a stale version and fail, which is the point of a CAS workload.
 */
public final class BenchTarget implements AutoCloseable {
  private final String name;
  private final List<KvDriver> clients;
  private final AtomicLongArray versions;
  private boolean loaded;

  public BenchTarget(String name, List<KvDriver> clients, int keyCount) {
    if (clients.isEmpty()) {
      throw new IllegalArgumentException("a target needs at least one client");
    }
    this.name = name;
    this.clients = List.copyOf(clients);
    this.versions = new AtomicLongArray(keyCount);
  }

  public String name() {
    return name;
  }

  public List<KvDriver> clients() {
    return clients;
  }

  AtomicLongArray versions() {
    return versions;
  }

  /** Whether every key has been written once (by {@link KeyLoader}). Called from one thread only. */
  boolean loaded() {
    return loaded;
  }

  void markLoaded() {
    loaded = true;
  }

  /** Closes every client. */
  @Override
  public void close() {
    for (KvDriver d : clients) {
      d.close();
    }
  }
}
