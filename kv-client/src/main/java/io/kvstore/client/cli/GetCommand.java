package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.GetResponse;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true,
    description = {"Reads a key. Exits 1 when the key does not exist.",
        "-o value prints only the value's bytes, nothing added (binary-safe: kvctl -o value get k > file)."})
final class GetCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY") String key;

  @Option(names = "--consistency", defaultValue = "linearizable",
      description = "linearizable (default: sees every acknowledged write), lease (the leader's lease, no"
          + " round trip) or stale (any replica, may lag).")
  String consistency;

  static Consistency parseConsistency(String c) {
    return switch (c.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "linearizable" -> Consistency.CONSISTENCY_LINEARIZABLE;
      case "lease" -> Consistency.CONSISTENCY_LEASE;
      case "stale" -> Consistency.CONSISTENCY_STALE;
      default -> throw new IllegalArgumentException("bad --consistency '" + c
          + "': use linearizable, lease or stale");
    };
  }

  @Override
  void validate() {
    Bytes.key(key);
    parseConsistency(consistency);
  }

  @Override
  int run(KvClient client) {
    GetResponse r = client.blocking().get(Bytes.key(key), parseConsistency(consistency));
    if (!r.getFound()) {
      if (format() == OutputFormat.json) {
        out().println(Json.obj().put("key", key).put("found", false));
      }
      err().println("kvctl: key '" + key + "' not found");
      return ExitCode.NOT_FOUND_OR_COMPARE_FAILED;
    }
    switch (format()) {
      case json -> out().println(kvJson(r.getKv()).put("found", true));
      case value -> writeRaw(r.getKv().getValue());
      default -> Table.print(out(), KV_HEADER, List.<String[]>of(kvRow(r.getKv())));
    }
    return ExitCode.OK;
  }
}
