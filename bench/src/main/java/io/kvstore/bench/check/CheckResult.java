package io.kvstore.bench.check;

import java.util.List;
import java.util.Set;

/** What any workload checker reports, in the shape the {@link ReportWriter} renders. */
public interface CheckResult {
    /** The overall verdict. */
    Verdict verdict();

    /** The workload's name: "register" or "set". */
    String workload();

    /** Counts and facts, one per line, e.g. "operations: 10000 (9871 ok, 12 fail, 117 info)". */
    List<String> summaryLines();

    /** Each anomaly as a paragraph a person can read; empty when valid. */
    List<String> findings();

    /** Ids of the operations at fault (an impossible result, a lost add), to be marked in the chart. */
    Set<Long> flaggedOperationIds();
}
