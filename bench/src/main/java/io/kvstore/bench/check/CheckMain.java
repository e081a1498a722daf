package io.kvstore.bench.check;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command line: checks a recorded history and writes the report folder.
 *
 * <pre>
 * java -cp 'bench/target/kvstore-bench-*.jar' io.kvstore.bench.check.CheckMain RUN_DIR
 *     re-checks RUN_DIR/history.jsonl (and RUN_DIR/faults.jsonl if present), rewrites the report there
 * java ... CheckMain --history FILE [--faults FILE] [--out DIR] [options]
 * options:
 *   --workload register|set|lock   default: lock if the history has acquire/guarded_put operations, set if it
 *                             has add/read operations, else register
 *   --title TEXT              report title
 *   --max-seconds-per-key N   linearizability search time budget per key (default 30)
 *   --max-steps-per-key N     search step budget per key (default 20000000)
 *   --threads N               keys checked in parallel (default: processors)
 * </pre>
 * Exit status: 0 valid, 1 invalid, 2 unknown, 64 bad usage, 66 unreadable input.
 */
public final class CheckMain {
    static final int EXIT_VALID = 0;
    static final int EXIT_INVALID = 1;
    static final int EXIT_UNKNOWN = 2;
    static final int EXIT_USAGE = 64;
    static final int EXIT_INPUT = 66;

    private CheckMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit status instead of exiting (for tests and runners). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                if (i + 1 >= args.length) {
                    err.println("missing value for " + args[i]);
                    return EXIT_USAGE;
                }
                options.put(args[i].substring(2), args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        Path historyFile;
        Path faultsFile;
        Path outDir;
        if (positional.size() == 1 && !options.containsKey("history")) {
            Path dir = Path.of(positional.get(0));
            historyFile = dir.resolve("history.jsonl");
            faultsFile = dir.resolve("faults.jsonl");
            outDir = Path.of(options.getOrDefault("out", dir.toString()));
        } else if (positional.isEmpty() && options.containsKey("history")) {
            historyFile = Path.of(options.get("history"));
            faultsFile = options.containsKey("faults") ? Path.of(options.get("faults")) : null;
            outDir = options.containsKey("out") ? Path.of(options.get("out")) : null;
        } else {
            err.println("usage: CheckMain RUN_DIR | --history FILE [--faults FILE] [--out DIR] [--workload"
                    + " register|set|lock] [--title T] [--max-seconds-per-key N] [--max-steps-per-key N] [--threads N]");
            return EXIT_USAGE;
        }
        try {
            History history = History.read(historyFile);
            List<FaultWindow> faults = faultsFile != null && Files.exists(faultsFile)
                    ? FaultWindow.read(faultsFile) : List.of();
            String workload = options.getOrDefault("workload",
                    looksLikeLock(history) ? "lock" : looksLikeSet(history) ? "set" : "register");
            CheckResult result;
            switch (workload) {
                case "register" -> {
                    SearchBudget budget = SearchBudget.defaults();
                    if (options.containsKey("max-seconds-per-key")) {
                        budget = budget.withMaxTime(Duration.ofSeconds(Long.parseLong(options.get("max-seconds-per-key"))));
                    }
                    if (options.containsKey("max-steps-per-key")) {
                        budget = budget.withMaxSteps(Long.parseLong(options.get("max-steps-per-key")));
                    }
                    int threads = Integer.parseInt(options.getOrDefault("threads",
                            String.valueOf(Runtime.getRuntime().availableProcessors())));
                    result = new LinearizabilityChecker(budget, threads).check(history);
                }
                case "set" -> result = new SetChecker().check(history);
                case "lock" -> result = new LockChecker().check(history);
                default -> {
                    err.println("unknown workload '" + workload + "' (register, set or lock)");
                    return EXIT_USAGE;
                }
            }
            result.summaryLines().forEach(out::println);
            for (String finding : result.findings()) {
                out.println();
                out.println(finding);
            }
            if (outDir != null) {
                String title = options.getOrDefault("title", workload + " history " + historyFile.getFileName());
                ReportWriter.write(outDir, title, history, faults, result);
                out.println();
                out.println("report: " + outDir.resolve("report.html").toAbsolutePath());
            }
            return switch (result.verdict()) {
                case VALID -> EXIT_VALID;
                case INVALID -> EXIT_INVALID;
                case UNKNOWN -> EXIT_UNKNOWN;
            };
        } catch (NumberFormatException e) {
            err.println("bad number: " + e.getMessage());
            return EXIT_USAGE;
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot check " + historyFile + ": " + e.getMessage());
            return EXIT_INPUT;
        }
    }

    private static boolean looksLikeLock(History history) {
        return history.operations().stream()
                .anyMatch(op -> op.type() == OpType.ACQUIRE || op.type() == OpType.GUARDED_PUT);
    }

    private static boolean looksLikeSet(History history) {
        return history.operations().stream().anyMatch(op -> op.type() == OpType.ADD || op.type() == OpType.READ);
    }
}
