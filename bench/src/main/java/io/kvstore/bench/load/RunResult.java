package io.kvstore.bench.load;

import java.util.List;
import java.util.Map;

/**
 * What one configuration did against one store, over the measured phase only.
 *
 * @param operations successful operations (a CAS whose comparison failed is a success)
 * @param errors operations that failed (status errors, deadlines)
 * @param casFailures compare-and-swaps whose comparison did not hold
 * @param measuredSeconds wall time of the measured phase
 * @param generatorCpuCores the generator process's CPU time divided by wall time over the measured phase
 *     (1.0 = one core busy); the stores' servers are other processes and are not included
 * @param machineCpuBusy the share of all cores that were busy over the measured phase (0..1), every
 *     process included, or NaN where /proc/stat is not readable
 * @param perSecondOps completed operations in each measured second
 * @param perSecondP99Ms the p99 latency of each measured second
 */
public record RunResult(
    String store,
    String driver,
    RunConfig config,
    String keyDistribution,
    int keyCount,
    int valueSize,
    int clients,
    long operations,
    long errors,
    long casFailures,
    double measuredSeconds,
    LatencySummary latency,
    Map<OpType, LatencySummary> latencyByType,
    double generatorCpuCores,
    double machineCpuBusy,
    List<Long> perSecondOps,
    List<Double> perSecondP99Ms) {

  public double throughput() {
    return measuredSeconds > 0 ? operations / measuredSeconds : 0;
  }

  /** The generator's CPU per operation, in microseconds. */
  public double generatorCpuMicrosPerOp() {
    return operations > 0 ? generatorCpuCores * measuredSeconds * 1e6 / operations : 0;
  }
}
