package io.kvstore.bench.scaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcStatTest {
  @Test
  void cpuTicksAreUtimePlusStimeCountedFromTheLastParenthesis() {
    // A command name with spaces and a ')' inside, as a process can name itself.
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 12345 0 7 0 1500 260 3 4 20 0 41 0 "
        + "123456 3500000000 90000 18446744073709551615 1 1 0 0 0 0 0 4096 17509 0 0 0 17 1 0 0 0 0 0";
    assertThat(ProcStat.parseCpuTicks(stat)).isEqualTo(1500 + 260);
  }

  @Test
  void malformedStatLinesAreRefused() {
    assertThatThrownBy(() -> ProcStat.parseCpuTicks("4242 java S 1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcStat.parseCpuTicks("4242 (java) S 1 2 3"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void residentBytesComeFromVmRssInKibibytes() {
    List<String> status = List.of("Name:\tjava", "VmPeak:\t 9000000 kB", "VmRSS:\t  204800 kB", "Threads:\t41");
    assertThat(ProcStat.parseResidentBytes(status)).isEqualTo(204800L * 1024);
    assertThatThrownBy(() -> ProcStat.parseResidentBytes(List.of("Name:\tkthreadd")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compilerThreadsAreHotSpotsC1AndC2ThreadsAsProcNamesThem() {
    assertThat(ProcStat.isCompilerThread("C2 CompilerThre\n")).isTrue();
    assertThat(ProcStat.isCompilerThread("C1 CompilerThre")).isTrue();
    assertThat(ProcStat.isCompilerThread("kv-raft-loop-1-")).isFalse();
    assertThat(ProcStat.isCompilerThread("GC Thread#0")).isFalse();
  }

  @Test
  void coreShareIsTicksOverSecondsTimesTheTickRate() {
    // 150 ticks of CPU in 60 s at 100 ticks/s: 2.5% of a core.
    assertThat(ProcStat.coreShare(1000, 1150, 60)).isEqualTo(0.025);
  }

  @Test
  void readsThisProcessFromProc() throws Exception {
    long pid = ProcessHandle.current().pid();
    long before = ProcStat.cpuTicks(pid);
    long spin = 0;
    long until = System.nanoTime() + 300_000_000L;
    while (System.nanoTime() < until) {
      spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
    }
    assertThat(spin).isNotNegative();
    assertThat(ProcStat.cpuTicks(pid)).isGreaterThan(before);
    assertThat(ProcStat.residentBytes(pid)).isGreaterThan(1L << 20);
    // This JVM has compiled something by now (the test runner alone makes it), and no more than it used.
    assertThat(ProcStat.compilerTicks(pid)).isNotNegative().isLessThanOrEqualTo(ProcStat.cpuTicks(pid));
  }
}
