package io.kvstore.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SortOrderTest {

    /** Agrees with a boxed stable sort by (primary, secondary), with many ties on both keys. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 7, 64, 1000, 4097})
    void ordersLikeAStableComparatorSort(int n) {
        SplittableRandom random = new SplittableRandom(n);
        long[] primary = random.longs(n, -5, 5).toArray();
        long[] secondary = random.longs(n, 0, 3).toArray();
        if (n > 3) {
            primary[0] = Long.MIN_VALUE;
            primary[1] = Long.MAX_VALUE;
        }
        Integer[] expected = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(expected, Comparator.<Integer>comparingLong(i -> primary[i]).thenComparingLong(i -> secondary[i]));
        assertThat(SortOrder.of(primary, secondary)).containsExactly(Arrays.stream(expected).mapToInt(i -> i).toArray());
    }
}
