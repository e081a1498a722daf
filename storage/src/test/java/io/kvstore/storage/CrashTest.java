package io.kvstore.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvstore.raft.proto.Entry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real child JVM ({@link CrashChild}) with SIGKILL at random, seeded moments while it appends,
 * commits, applies and compacts with group-committed batches, then reopens the store and checks:
 * <ul>
 *   <li>every acknowledged batch is there, and the store is either exactly the acknowledged state or
 *       that state plus the one batch being written when the kill came, for all groups at once (a batch
 *       is atomic across groups);</li>
 *   <li>the log has no holes and every entry has the term the model says;</li>
 *   <li>the applied index and the data agree: exactly the entries up to the applied index are in the
 *       data, with the values of those entries, and no reported apply was lost.</li>
 * </ul>
 * The next child continues on the same directory, so recovery itself is also interrupted now and then.
 */
class CrashTest {
  private static final int GROUPS = 4;

  @TempDir Path dir;

  @Test
  void survivesFiftyKills() throws Exception {
    run(50, 20261128L);
  }

  @Tag("soak")
  @Test
  void survivesFiveHundredKills() throws Exception {
    run(500, System.getProperty("crash.seed") == null ? 7L : Long.getLong("crash.seed"));
  }

  /** The durable state the parent expects for one group. */
  private static final class GroupModel {
    final List<Long> terms = new ArrayList<>(); // terms.get(i - 1): term of entry i
    long commit;
    long term;
    long appliedReported;

    GroupModel copy() {
      GroupModel m = new GroupModel();
      m.terms.addAll(terms);
      m.commit = commit;
      m.term = term;
      m.appliedReported = appliedReported;
      return m;
    }

    /** Applies one "group:first:to:term:commit" operation of a B line. */
    void apply(String op) {
      String[] f = op.split(":");
      long first = Long.parseLong(f[1]);
      long to = Long.parseLong(f[2]);
      long t = Long.parseLong(f[3]);
      if (first > 0) {
        while (terms.size() >= first) {
          terms.remove(terms.size() - 1);
        }
        for (long i = first; i <= to; i++) {
          terms.add(t);
        }
      }
      term = t;
      commit = Long.parseLong(f[4]);
    }
  }

  private void run(int kills, long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    Path storeDir = dir.resolve("store");
    Path reports = Files.createDirectories(dir.resolve("reports"));
    GroupModel[] model = new GroupModel[GROUPS + 1];
    for (int g = 1; g <= GROUPS; g++) {
      model[g] = new GroupModel();
    }
    long entriesChecked = 0;
    long batchesAcked = 0;
    int tornBatches = 0;
    for (int run = 0; run < kills; run++) {
      Path report = reports.resolve("run-" + run + ".txt");
      Path errors = reports.resolve("run-" + run + ".err");
      Process child = start(rnd.nextLong(), report, errors);
      try {
        CountDownLatch firstAck = new CountDownLatch(1);
        Thread reader = new Thread(() -> readLines(child, firstAck), "crash-child-reader");
        reader.setDaemon(true);
        reader.start();
        if (rnd.nextInt(5) == 0) {
          TimeUnit.MILLISECONDS.sleep(rnd.nextInt(400)); // kill at any moment, even while opening
        } else if (!firstAck.await(60, TimeUnit.SECONDS)) {
          throw new AssertionError("seed " + seed + " run " + run + ": the child acknowledged nothing in 60 s"
              + (child.isAlive() ? "" : " (exited with " + child.exitValue() + ")") + "; its stderr: "
              + Files.readString(errors));
        } else {
          TimeUnit.MILLISECONDS.sleep(rnd.nextInt(250)); // the random kill moment
        }
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child exits after SIGKILL").isTrue();
        reader.join(TimeUnit.SECONDS.toMillis(30));
      } finally {
        child.destroyForcibly();
      }
      if (child.exitValue() != 137 && child.exitValue() != 9) {
        throw new AssertionError("seed " + seed + " run " + run + ": the child failed before the kill (exit "
            + child.exitValue() + "): " + Files.readString(errors));
      }
      List<String> all = Files.exists(report) ? Files.readAllLines(report) : List.of();

      // Replay what the child reported: acknowledged batches go into the model; the last unacknowledged
      // one (if any) is the alternative.
      String pending = null;
      for (String line : all) {
        if (!line.endsWith(" ;")) {
          continue; // cut short by the kill
        }
        String[] f = line.split(" ");
        switch (f[0]) {
          case "B" -> pending = line;
          case "A" -> {
            String[] ops = pending.split(" ");
            assertThat(ops[1]).isEqualTo(f[1]);
            for (int i = 2; i < ops.length - 1; i++) {
              int g = Integer.parseInt(ops[i].split(":")[0]);
              model[g].apply(ops[i]);
            }
            pending = null;
            batchesAcked++;
          }
          case "P" -> {
            int g = Integer.parseInt(f[1]);
            model[g].appliedReported = Math.max(model[g].appliedReported, Long.parseLong(f[2]));
          }
          default -> { }
        }
      }
      GroupModel[] withPending = null;
      if (pending != null) {
        withPending = new GroupModel[GROUPS + 1];
        String[] ops = pending.split(" ");
        for (int g = 1; g <= GROUPS; g++) {
          withPending[g] = model[g].copy();
        }
        for (int i = 2; i < ops.length - 1; i++) {
          withPending[Integer.parseInt(ops[i].split(":")[0])].apply(ops[i]);
        }
      }

      try (NodeStore store = NodeStore.open(storeDir, 1, "crash", StorageOptions.small())) {
        String asAcked = mismatch(store, model);
        if (asAcked == null) {
          entriesChecked += check(store, model, seed, run);
        } else {
          String asPending = withPending == null ? "no batch was in flight" : mismatch(store, withPending);
          assertThat(asPending).as("seed %d run %d: store matches neither the acknowledged state (%s) nor"
              + " it plus the batch in flight; the child's last lines: %s", seed, run, asAcked,
              all.subList(Math.max(0, all.size() - 6), all.size())).isNull();
          tornBatches++;
          model = withPending;
          entriesChecked += check(store, model, seed, run);
        }
      }
    }
    System.out.printf("crash test (seed %d): %d kills, %d acknowledged batches, %d unacknowledged batches "
        + "found durable, %d entries checked%n", seed, kills, batchesAcked, tornBatches, entriesChecked);
    assertThat(batchesAcked).as("the children made progress").isGreaterThan(kills);
  }

  /** Null if every group's log and hard state equal the model; else what differs. */
  private static String mismatch(NodeStore store, GroupModel[] model) {
    for (int g = 1; g <= GROUPS; g++) {
      GroupStorage gs = store.group(g);
      GroupModel m = model[g];
      if (gs.lastIndex() != m.terms.size()) {
        return "group " + g + " last index " + gs.lastIndex() + " vs " + m.terms.size();
      }
      if (gs.hardState().getCommit() != m.commit || gs.hardState().getTerm() != m.term) {
        return "group " + g + " hard state " + gs.hardState().getTerm() + "/" + gs.hardState().getCommit()
            + " vs " + m.term + "/" + m.commit;
      }
      for (long i = Math.max(1, gs.firstIndex() - 1); i <= gs.lastIndex(); i++) {
        if (gs.term(i) != m.terms.get((int) i - 1)) {
          return "group " + g + " term(" + i + ") " + gs.term(i) + " vs " + m.terms.get((int) i - 1);
        }
      }
    }
    return null;
  }

  /** Checks log contents and applied data against the model; returns the number of entries checked. */
  private static long check(NodeStore store, GroupModel[] model, long seed, int run) {
    long checked = 0;
    for (int g = 1; g <= GROUPS; g++) {
      String where = "seed " + seed + " run " + run + " group " + g;
      GroupStorage gs = store.group(g);
      GroupModel m = model[g];
      long first = gs.firstIndex();
      long last = gs.lastIndex();
      List<Entry> log = gs.entries(first, last + 1, Long.MAX_VALUE); // throws on a hole
      assertThat(log).as(where + " log").hasSize((int) (last - first + 1));
      for (Entry e : log) {
        assertThat(e).as(where).isEqualTo(CrashChild.entry(e.getIndex(), m.terms.get((int) e.getIndex() - 1), g));
      }
      long applied = gs.appliedIndex();
      assertThat(applied).as(where + " applied <= commit").isLessThanOrEqualTo(m.commit);
      assertThat(applied).as(where + " compaction only covers applied entries").isGreaterThanOrEqualTo(first - 1);
      assertThat(applied).as(where + " no reported apply lost").isGreaterThanOrEqualTo(m.appliedReported);
      if (applied > 0) {
        assertThat(gs.appliedTerm()).as(where).isEqualTo(m.terms.get((int) applied - 1));
      }
      List<KeyValue> data = store.scan(g, null, null, Integer.MAX_VALUE);
      assertThat(data).as(where + " data holds exactly the applied entries").hasSize((int) applied);
      for (int i = 0; i < data.size(); i++) {
        long index = i + 1;
        assertThat(data.get(i).key()).as(where).isEqualTo(CrashChild.dataKey(index));
        assertThat(data.get(i).value()).as(where + " value of " + index)
            .isEqualTo(CrashChild.entry(index, m.terms.get(i), g).getData().toByteArray());
      }
      checked += log.size() + data.size();
    }
    return checked;
  }

  private Process start(long childSeed, Path report, Path errors) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", cp, CrashChild.class.getName(), dir.resolve("store").toString(), Long.toString(childSeed), Integer.toString(GROUPS),
        report.toString());
    pb.redirectError(errors.toFile());
    return pb.start();
  }

  /** Follows the child's stdout; counts down {@code firstAck} at its first acknowledgement. */
  private static void readLines(Process child, CountDownLatch firstAck) {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith("A ")) {
          firstAck.countDown();
        }
      }
    } catch (IOException e) {
      // The kill closed the pipe.
    }
  }
}
