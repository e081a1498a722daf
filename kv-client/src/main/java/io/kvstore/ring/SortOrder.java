package io.kvstore.ring;

/**
 * The ascending order of parallel {@code long} arrays by (primary, secondary), as a permutation of indexes,
 * without boxing: ring building sorts tens of thousands of points and {@code Integer[]} with a comparator
 * was the bulk of its cost. Stateless; package-private.
 */
final class SortOrder {

    private SortOrder() {}

    /**
     * Indexes {@code 0..n-1} ordered by {@code primary} (signed order; flip the sign bit of unsigned values
     * first), then {@code secondary}. Stable merge sort: equal pairs keep their index order.
     */
    static int[] of(long[] primary, long[] secondary) {
        int n = primary.length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int[] scratch = new int[n];
        // Bottom-up: runs of width 1, 2, 4, ... merged from order into scratch, then the roles swap.
        int[] from = order;
        int[] to = scratch;
        for (int width = 1; width < n; width <<= 1) {
            for (int lo = 0; lo < n; lo += width << 1) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + (width << 1), n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    to[k++] = lessOrEqual(primary, secondary, from[i], from[j]) ? from[i++] : from[j++];
                }
                while (i < mid) {
                    to[k++] = from[i++];
                }
                while (j < hi) {
                    to[k++] = from[j++];
                }
            }
            int[] t = from;
            from = to;
            to = t;
        }
        return from;
    }

    private static boolean lessOrEqual(long[] primary, long[] secondary, int a, int b) {
        long pa = primary[a];
        long pb = primary[b];
        return pa < pb || (pa == pb && secondary[a] <= secondary[b]);
    }
}
