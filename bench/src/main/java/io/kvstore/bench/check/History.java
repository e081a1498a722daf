package io.kvstore.bench.check;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable list of completed (or abandoned) operations, and its file format.
 *
 * <h2>File format: {@code history.jsonl}</h2>
 * UTF-8, one JSON object per line, one line per operation, in the order the operations completed (any
 * order is accepted on reading). Blank lines and lines starting with {@code #} are ignored. Fields:
 * <pre>
 *   id          integer, unique in the file
 *   client      integer, the client (process) that issued it
 *   type        "get" | "put" | "cas" | "add" | "read" | "acquire" | "guarded_put" | "release"
 *   key         string: register key, set name for add/read, lock name for acquire/guarded_put/release
 *               (and for the lock workload's read of the guarded writes)
 *   value       string or null: get = value returned (null/missing = absent); put = value written;
 *               cas = new value; add = element; guarded_put = value written; acquire/release = the
 *               holder's lease id (decimal)
 *   expected    cas only: string or null (null = expects the key absent)
 *   swapped     cas with outcome "ok" only: true if it swapped, false if it found another value
 *   elements    read only: array of strings, the elements returned (lock workload: "value@version" of
 *               every guarded write found in the store)
 *   token       optional integer (lock workload): acquire = fencing token granted (when ok);
 *               guarded_put and release = the token presented
 *   version     optional integer: guarded_put with outcome "ok" = the version the store acknowledged
 *   outcome     "ok" | "fail" (definitely no effect) | "info" (unknown: may take effect at any later time)
 *   invoke_ns   integer, monotonic nanoseconds when the request was sent
 *   complete_ns integer, monotonic nanoseconds when the answer arrived or the client gave up
 *   error       optional string explaining a fail or info outcome
 * </pre>
 * Example lines:
 * <pre>
 * {"id":7,"client":2,"type":"put","key":"k3","value":"v8","outcome":"ok","invoke_ns":11200000,"complete_ns":11900000}
 * {"id":9,"client":4,"type":"get","key":"k3","value":"v7","outcome":"ok","invoke_ns":12100000,"complete_ns":12300000}
 * {"id":12,"client":1,"type":"cas","key":"k3","expected":"v8","value":"v9","swapped":false,"outcome":"ok","invoke_ns":13000000,"complete_ns":13400000}
 * {"id":15,"client":3,"type":"put","key":"k5","value":"v2","outcome":"info","invoke_ns":14000000,"complete_ns":1014000000,"error":"DEADLINE_EXCEEDED"}
 * {"id":21,"client":1,"type":"guarded_put","key":"lock{l0}","value":"c1-4","outcome":"ok","invoke_ns":15000000,"complete_ns":15900000,"token":1207,"version":1213}
 * </pre>
 */
public final class History {
    private final List<Operation> operations;

    private History(List<Operation> operations) {
        this.operations = operations;
    }

    /** A history of these operations; ids must be unique. */
    public static History of(Collection<Operation> operations) {
        List<Operation> copy = new ArrayList<>(operations);
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (Operation op : copy) {
            if (!ids.add(op.id())) {
                throw new IllegalArgumentException("duplicate operation id " + op.id());
            }
        }
        copy.sort(Comparator.comparingLong(Operation::completeNanos).thenComparingLong(Operation::invokeNanos)
                .thenComparingLong(Operation::id));
        return new History(List.copyOf(copy));
    }

    /** The operations, ordered by completion time. */
    public List<Operation> operations() {
        return operations;
    }

    public int size() {
        return operations.size();
    }

    /** The earliest invocation time: the zero of every time shown in reports. 0 for an empty history. */
    public long originNanos() {
        return operations.stream().mapToLong(Operation::invokeNanos).min().orElse(0);
    }

    /** The latest completion time (INFO operations count with the time the client gave up). */
    public long endNanos() {
        return operations.stream().mapToLong(Operation::completeNanos).max().orElse(0);
    }

    /** The operations of each key, keys in order of first appearance, each list ordered by completion. */
    public Map<String, List<Operation>> byKey() {
        Map<String, List<Operation>> map = new LinkedHashMap<>();
        for (Operation op : operations) {
            map.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        return map;
    }

    /** Counts operations with this outcome. */
    public long count(Outcome outcome) {
        return operations.stream().filter(op -> op.outcome() == outcome).count();
    }

    // ---------------------------------------------------------------- file format

    /** Writes the history as JSON lines, creating or replacing {@code file}. */
    public void write(Path file) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Operation op : operations) {
                out.write(toJsonLine(op));
                out.write('\n');
            }
        }
    }

    /** Reads a history written by {@link #write} or by any recorder that follows the format above. */
    public static History read(Path file) throws IOException {
        List<Operation> ops = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                try {
                    ops.add(fromJsonLine(trimmed));
                } catch (RuntimeException e) {
                    throw new IOException(file + ":" + lineNo + ": " + e.getMessage(), e);
                }
            }
        }
        return of(ops);
    }

    /** One operation as one line of JSON, without the newline. */
    public static String toJsonLine(Operation op) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"id\":").append(op.id());
        b.append(",\"client\":").append(op.client());
        b.append(",\"type\":\"").append(op.type().jsonName()).append('"');
        b.append(",\"key\":");
        Json.appendString(b, op.key());
        if (op.type() != OpType.READ) {
            if (op.type() == OpType.CAS) {
                b.append(",\"expected\":");
                Json.appendString(b, op.expected());
            }
            b.append(",\"value\":");
            Json.appendString(b, op.value());
        }
        if (op.type() == OpType.CAS && op.outcome() == Outcome.OK) {
            b.append(",\"swapped\":").append(op.swapped());
        }
        if (op.type() == OpType.READ) {
            b.append(",\"elements\":[");
            for (int i = 0; i < op.elements().size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                Json.appendString(b, op.elements().get(i));
            }
            b.append(']');
        }
        b.append(",\"outcome\":\"").append(op.outcome().jsonName()).append('"');
        b.append(",\"invoke_ns\":").append(op.invokeNanos());
        b.append(",\"complete_ns\":").append(op.completeNanos());
        if (op.error() != null) {
            b.append(",\"error\":");
            Json.appendString(b, op.error());
        }
        if (op.token() != 0) {
            b.append(",\"token\":").append(op.token());
        }
        if (op.version() != 0) {
            b.append(",\"version\":").append(op.version());
        }
        return b.append('}').toString();
    }

    /** Parses one line written by {@link #toJsonLine}. */
    public static Operation fromJsonLine(String line) {
        Map<String, Object> m = Json.parseObject(line);
        OpType type = OpType.fromJson(requiredString(m, "type"));
        Outcome outcome = Outcome.fromJson(requiredString(m, "outcome"));
        List<String> elements = new ArrayList<>();
        if (m.get("elements") instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String s)) {
                    throw new IllegalArgumentException("elements must be strings");
                }
                elements.add(s);
            }
        }
        boolean swapped = Boolean.TRUE.equals(m.get("swapped"));
        if (type == OpType.CAS && outcome == Outcome.OK && !(m.get("swapped") instanceof Boolean)) {
            throw new IllegalArgumentException("an ok cas needs \"swapped\": true or false");
        }
        return new Operation(requiredLong(m, "id"), (int) requiredLong(m, "client"), type,
                requiredString(m, "key"), optionalString(m, "value"), optionalString(m, "expected"), swapped,
                elements, outcome, requiredLong(m, "invoke_ns"), requiredLong(m, "complete_ns"),
                optionalString(m, "error"), optionalLong(m, "token"), optionalLong(m, "version"));
    }

    private static String requiredString(Map<String, Object> m, String field) {
        if (!(m.get(field) instanceof String s)) {
            throw new IllegalArgumentException("missing string field \"" + field + "\"");
        }
        return s;
    }

    private static String optionalString(Map<String, Object> m, String field) {
        Object v = m.get(field);
        if (v != null && !(v instanceof String)) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a string or null");
        }
        return (String) v;
    }

    private static long optionalLong(Map<String, Object> m, String field) {
        Object v = m.get(field);
        if (v != null && !(v instanceof Long)) {
            throw new IllegalArgumentException("field \"" + field + "\" must be an integer");
        }
        return v == null ? 0 : (Long) v;
    }

    private static long requiredLong(Map<String, Object> m, String field) {
        if (!(m.get(field) instanceof Long n)) {
            throw new IllegalArgumentException("missing integer field \"" + field + "\"");
        }
        return n;
    }
}
