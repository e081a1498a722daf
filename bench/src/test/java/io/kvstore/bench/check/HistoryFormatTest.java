package io.kvstore.bench.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFormatTest {
    @TempDir
    Path dir;

    @Test
    void everyKindOfOperationRoundTrips() throws IOException {
        List<Operation> ops = List.of(
                Operation.get(1, 4, "k3", "v7", Outcome.OK, 12_100_000, 12_300_000),
                Operation.get(2, 4, "k3", null, Outcome.OK, 1, 2),
                Operation.get(3, 4, "k3", null, Outcome.INFO, 1, 2).withError("DEADLINE_EXCEEDED"),
                Operation.put(4, 2, "k\"q\\uote\n\u0001é✓", "v8", Outcome.OK, 11_200_000, 11_900_000),
                Operation.put(5, 2, "k3", "v9", Outcome.FAIL, 5, 6).withError("NOT_LEADER"),
                Operation.cas(6, 1, "k3", "v8", "v9", false, Outcome.OK, 13_000_000, 13_400_000),
                Operation.cas(7, 1, "k3", null, "v1", true, Outcome.OK, 3, 4),
                Operation.cas(8, 1, "k3", "a", "b", false, Outcome.INFO, 3, 4),
                Operation.add(9, 3, "s", "e1", Outcome.OK, 1, 2),
                Operation.read(10, 3, "s", List.of("e1", "e,2", ""), Outcome.OK, 7, 8),
                Operation.read(11, 3, "s", List.of(), Outcome.FAIL, 7, 8));
        History history = History.of(ops);
        Path file = dir.resolve("history.jsonl");
        history.write(file);
        assertThat(History.read(file).operations()).containsExactlyInAnyOrderElementsOf(ops);
        assertThat(Files.readAllLines(file)).hasSize(ops.size());
    }

    @Test
    void linesUseTheDocumentedFieldNames() {
        String line = History.toJsonLine(Operation.cas(12, 1, "k3", "v8", "v9", false, Outcome.OK, 13, 14));
        assertThat(line).isEqualTo("{\"id\":12,\"client\":1,\"type\":\"cas\",\"key\":\"k3\",\"expected\":\"v8\","
                + "\"value\":\"v9\",\"swapped\":false,\"outcome\":\"ok\",\"invoke_ns\":13,\"complete_ns\":14}");
    }

    @Test
    void handWrittenLinesWithSpacesCommentsAndMissingOptionalFieldsAreRead() throws IOException {
        Path file = dir.resolve("h.jsonl");
        Files.writeString(file, """
                # a comment
                { "id": 1, "client": 2, "type": "put", "key": "x", "value": "1", "outcome": "ok", "invoke_ns": 5, "complete_ns": 9 }

                {"id":2,"client":3,"type":"get","key":"x","outcome":"ok","invoke_ns":10,"complete_ns":11}
                """);
        History h = History.read(file);
        assertThat(h.operations()).extracting(Operation::value).containsExactly("1", null);
    }

    @Test
    void malformedLinesAreReportedWithTheirLineNumber() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"id\":1,\"client\":2,\"type\":\"put\",\"key\":\"x\",\"value\":\"1\",\"outcome\":\"ok\","
                + "\"invoke_ns\":5,\"complete_ns\":9}\n{\"id\":2,\"client\":2,\"type\":\"cas\",\"key\":\"x\","
                + "\"outcome\":\"ok\",\"invoke_ns\":5,\"complete_ns\":9}\n");
        assertThatThrownBy(() -> History.read(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("bad.jsonl:2").hasMessageContaining("swapped");
        Files.writeString(file, "{\"id\":1,\"client\":2,\"type\":\"put\",\"key\":\"x\",\"outcome\":\"ok\","
                + "\"invoke_ns\":9,\"complete_ns\":5}\n");
        assertThatThrownBy(() -> History.read(file)).hasMessageContaining("before it is invoked");
        Files.writeString(file, "not json\n");
        assertThatThrownBy(() -> History.read(file)).hasMessageContaining("bad.jsonl:1");
    }

    @Test
    void duplicateIdsAreRejected() {
        assertThatThrownBy(() -> History.of(List.of(Operation.add(1, 1, "s", "a", Outcome.OK, 0, 1),
                Operation.add(1, 1, "s", "b", Outcome.OK, 0, 1)))).hasMessageContaining("duplicate");
    }

    @Test
    void faultWindowsRoundTrip() throws IOException {
        List<FaultWindow> faults = List.of(new FaultWindow("kill -9 n2", 1, 2), new FaultWindow("pause \"n3\"", 3, 3));
        Path file = dir.resolve("faults.jsonl");
        FaultWindow.write(file, faults);
        assertThat(FaultWindow.read(file)).isEqualTo(faults);
    }
}
