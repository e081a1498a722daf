package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.KeyRange;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.ScanRequest;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scan", mixinStandardHelpOptions = true,
    description = {"Lists keys in key order (unsigned bytes), across all shards.",
        "Select with --prefix P, or --from A and/or --to B for the range [A, B); nothing selects every key."},
    footer = {"", "Examples:", "  kvctl scan --prefix user:", "  kvctl scan --from a --to m --limit 10",
        "  kvctl -o json scan --prefix user: | jq '.kvs[].key'"})
final class ScanCommand extends ClientCommand {
  @Option(names = "--prefix", paramLabel = "P", description = "Keys that start with P.") String prefix;
  @Option(names = "--from", paramLabel = "A", description = "First key of the range (inclusive).") String from;
  @Option(names = "--to", paramLabel = "B", description = "End of the range (exclusive).") String to;
  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "At most N keys (default: all).") int limit;
  @Option(names = "--keys-only", description = "Keys and versions, no values.") boolean keysOnly;
  @Option(names = "--consistency", defaultValue = "linearizable",
      description = "linearizable, lease or stale (default: ${DEFAULT-VALUE}).") String consistency;

  @Override
  void validate() {
    if (prefix != null && (from != null || to != null)) {
      throw new IllegalArgumentException("give --prefix or --from/--to, not both");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("--limit must be 0 (all) or more, got " + limit);
    }
    if (from != null && to != null && !to.isEmpty()
        && com.google.protobuf.ByteString.unsignedLexicographicalComparator()
            .compare(Bytes.key(from), Bytes.key(to)) > 0) {
      throw new IllegalArgumentException("--from '" + from + "' sorts after --to '" + to + "'");
    }
    GetCommand.parseConsistency(consistency);
  }

  @Override
  int run(KvClient client) {
    ScanRequest.Builder req = ScanRequest.newBuilder().setKeysOnly(keysOnly)
        .setConsistency(GetCommand.parseConsistency(consistency));
    if (prefix != null) {
      req.setPrefix(com.google.protobuf.ByteString.copyFromUtf8(prefix));
    } else {
      KeyRange.Builder range = KeyRange.newBuilder();
      if (from != null) {
        range.setStart(com.google.protobuf.ByteString.copyFromUtf8(from));
      }
      if (to != null) {
        range.setEnd(com.google.protobuf.ByteString.copyFromUtf8(to));
      }
      req.setRange(range);
    }
    List<KeyValue> kvs = client.blocking().scan(req.build(), limit);
    switch (format()) {
      case json -> {
        List<Object> items = new ArrayList<>();
        kvs.forEach(kv -> items.add(kvJson(kv)));
        out().println(Json.obj().put("count", kvs.size()).put("kvs", items));
      }
      case value -> kvs.forEach(kv -> out().println(Bytes.display(keysOnly ? kv.getKey() : kv.getValue())));
      default -> {
        List<String[]> rows = new ArrayList<>();
        kvs.forEach(kv -> rows.add(kvRow(kv)));
        Table.print(out(), KV_HEADER, rows);
      }
    }
    return ExitCode.OK;
  }
}
