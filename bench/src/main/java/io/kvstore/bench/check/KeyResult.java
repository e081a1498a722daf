package io.kvstore.bench.check;

/**
 * The linearizability verdict for one key.
 *
 * @param key           the key
 * @param verdict       valid, invalid, or unknown when the search budget ran out
 * @param operations    how many of the key's operations the search considered (failed operations and
 *                      reads without a result are not)
 * @param steps         search steps spent on the verdict (not on the explanation)
 * @param elapsedNanos  time spent on the key, explanation included
 * @param unknownReason which budget ran out, when unknown; else null
 * @param failure       the smallest failing window, when invalid; else null
 */
public record KeyResult(String key, Verdict verdict, int operations, long steps, long elapsedNanos,
                        String unknownReason, FailingWindow failure) {
}
