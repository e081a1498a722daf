package io.kvstore.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WorkloadTest {
  @ParameterizedTest
  @EnumSource(Workload.class)
  void drawnMixMatchesTheDeclaredProportions(Workload w) {
    SplittableRandom random = new SplittableRandom(w.ordinal() + 1);
    Map<OpType, Integer> counts = new EnumMap<>(OpType.class);
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      counts.merge(w.next(random), 1, Integer::sum);
    }
    for (OpType type : OpType.values()) {
      double share = counts.getOrDefault(type, 0) / (double) n;
      assertThat(share).as("%s share of %s", type, w).isCloseTo(w.percent(type) / 100.0, within(0.005));
      if (w.percent(type) == 0) {
        assertThat(counts).doesNotContainKey(type);
      }
    }
  }

  @Test
  void ycsbMixesAreTheStandardOnes() {
    assertThat(Workload.A.percent(OpType.READ)).isEqualTo(50);
    assertThat(Workload.A.percent(OpType.UPDATE)).isEqualTo(50);
    assertThat(Workload.B.percent(OpType.READ)).isEqualTo(95);
    assertThat(Workload.C.percent(OpType.READ)).isEqualTo(100);
    assertThat(Workload.W.percent(OpType.UPDATE)).isEqualTo(100);
    assertThat(Workload.CAS.percent(OpType.CAS)).isEqualTo(50);
    assertThat(Workload.W.needsLoadedKeys()).isFalse();
    assertThat(Workload.C.needsLoadedKeys()).isTrue();
  }

  @Test
  void parsesNamesCaseInsensitivelyAndNamesTheChoicesOnError() {
    assertThat(Workload.parse("cas")).isEqualTo(Workload.CAS);
    assertThat(Workload.parse(" w ")).isEqualTo(Workload.W);
    assertThatThrownBy(() -> Workload.parse("F")).hasMessageContaining("A, B, C, W, CAS");
    assertThat(ReadConsistency.parse("serializable")).isEqualTo(ReadConsistency.STALE);
    assertThatThrownBy(() -> ReadConsistency.parse("strong")).hasMessageContaining("linearizable");
  }
}
