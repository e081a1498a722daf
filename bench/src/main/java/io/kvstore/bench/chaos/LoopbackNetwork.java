package io.kvstore.bench.chaos;

import java.util.List;

/** Every node on 127.0.0.1, no partitions: for machines where network namespaces are not available. */
final class LoopbackNetwork implements Network {

  @Override
  public String address(int nodeId) {
    return "127.0.0.1";
  }

  @Override
  public List<String> launchPrefix(int nodeId) {
    return List.of();
  }

  @Override
  public boolean canPartition() {
    return false;
  }

  @Override
  public void drop(int from, int to) {
    throw new UnsupportedOperationException("the loopback network cannot partition");
  }

  @Override
  public void heal() {
  }

  @Override
  public void close() {
  }
}
