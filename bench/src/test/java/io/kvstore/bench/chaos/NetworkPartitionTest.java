package io.kvstore.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which links a partition cuts, and the --faults list. */
class NetworkPartitionTest {

  /** Records the links it is asked to drop. */
  private static final class RecordingNetwork implements Network {
    final List<String> dropped = new ArrayList<>();

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
      return true;
    }

    @Override
    public void drop(int from, int to) {
      dropped.add(from + ">" + to);
    }

    @Override
    public void heal() {
      dropped.clear();
    }

    @Override
    public void close() {
    }
  }

  @Test
  void majorityMinorityCutsEveryLinkAcrossBothWays() {
    RecordingNetwork net = new RecordingNetwork();
    net.partition(List.of(Set.of(1, 2), Set.of(3, 4, 5)), 5);
    assertThat(net.dropped).containsExactlyInAnyOrder(
        "1>3", "1>4", "1>5", "2>3", "2>4", "2>5", "3>1", "4>1", "5>1", "3>2", "4>2", "5>2");
  }

  @Test
  void bridgeKeepsTheSharedNodeConnectedToBothHalves() {
    RecordingNetwork net = new RecordingNetwork();
    net.partition(List.of(Set.of(1, 2), Set.of(2, 3)), 3);
    assertThat(net.dropped).containsExactlyInAnyOrder("1>3", "3>1");
  }

  @Test
  void nodesInNoGroupKeepTheirLinks() {
    RecordingNetwork net = new RecordingNetwork();
    net.partition(List.of(Set.of(1), Set.of(2)), 3);
    assertThat(net.dropped).containsExactlyInAnyOrder("1>2", "2>1");
  }

  @Test
  void faultListParses() {
    assertThat(FaultKind.parseList("kill, pause,partition,membership")).isEqualTo(EnumSet.allOf(FaultKind.class));
    assertThat(FaultKind.parseList("kill,pause,partition")).doesNotContain(FaultKind.MEMBERSHIP);
    assertThat(FaultKind.parseList("all")).isEqualTo(EnumSet.allOf(FaultKind.class));
    assertThat(FaultKind.parseList("none")).isEmpty();
    assertThat(FaultKind.parseList("pause")).containsExactly(FaultKind.PAUSE);
    assertThatThrownBy(() -> FaultKind.parseList("kill,meteor")).hasMessageContaining("meteor");
  }
}
