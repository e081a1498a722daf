package io.kvstore.client;

/** Lets tests in other packages (kvctl's) start a {@link FakeCluster}. */
public final class FakeClusterAccess implements AutoCloseable {
  private final FakeCluster cluster;

  private FakeClusterAccess(FakeCluster cluster) {
    this.cluster = cluster;
  }

  public static FakeClusterAccess start(int nodes, int shards) {
    return new FakeClusterAccess(new FakeCluster(nodes, shards));
  }

  public String seeds() {
    return cluster.seeds();
  }

  /** Stops node {@code id}'s server: its connections are refused until {@link #up}. */
  public void down(long id) {
    cluster.down(id);
  }

  /** Puts back the first cluster map (after membership commands changed it). */
  public void resetMap() {
    cluster.resetMap();
  }

  public void up(long id) {
    cluster.up(id);
  }

  @Override
  public void close() {
    cluster.close();
  }
}
