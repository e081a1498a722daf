package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.TxnOpResult;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.proto.v1.TxnResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "txn", mixinStandardHelpOptions = true,
    description = {"Runs an atomic transaction read from stdin (or --file): if every compare holds, the",
        "success operations run, otherwise the failure operations. Exits 1 when the failure branch ran.",
        "All keys must be in one shard: give related keys a shared hash tag, e.g. user:{42}:name and",
        "user:{42}:email.",
        "",
        "Format: compares, one per line; a blank line; success operations; a blank line; failure operations.",
        "  compare:    value(KEY) OP VALUE     OP is = != > < (bytes, unsigned order)",
        "              version(KEY) OP N       a missing key has version 0",
        "  operation:  get KEY | put KEY VALUE | del KEY",
        "KEY and VALUE are bare words or \"quoted strings\" with \\\" \\\\ \\n \\t \\xHH escapes; lines starting",
        "with # are comments."},
    footer = {"", "Example (create-if-absent, else read):",
        "  printf 'version(\"user:{42}:name\") = 0\\n\\nput \"user:{42}:name\" \"Ada\"\\n\\nget \"user:{42}:name\"\\n' \\",
        "    | kvctl txn"})
final class TxnCommand extends ClientCommand {
  @Option(names = "--file", paramLabel = "PATH", description = "Read the transaction from this file.") Path file;

  private TxnRequest request;

  @Override
  void validate() {
    request = TxnParser.parse(Bytes.value(file == null ? "-" : null, file, "transaction").toStringUtf8());
    if (request.getCompareCount() == 0 && request.getSuccessCount() == 0 && request.getFailureCount() == 0) {
      throw new IllegalArgumentException("the transaction is empty: see 'kvctl txn --help' for the format");
    }
  }

  @Override
  int run(KvClient client) {
    TxnResponse r = client.blocking().txn(request);
    List<TxnOpResult> results = r.getResultsList();
    if (format() == OutputFormat.json) {
      List<Object> items = new ArrayList<>();
      for (TxnOpResult res : results) {
        items.add(switch (res.getResultCase()) {
          case GET -> res.getGet().getFound() ? kvJson(res.getGet().getKv()).put("op", "get").put("found", true)
              : Json.obj().put("op", "get").put("found", false);
          case PUT -> Json.obj().put("op", "put").put("version", res.getPut().getVersion());
          case DELETE -> Json.obj().put("op", "del").put("deleted", res.getDelete().getDeleted() ? 1 : 0);
          default -> Json.obj().put("op", "unknown");
        });
      }
      out().println(Json.obj().put("succeeded", r.getSucceeded()).put("version", r.getVersion())
          .put("results", items));
    } else {
      out().println(r.getSucceeded() ? "SUCCESS" : "FAILURE");
      for (TxnOpResult res : results) {
        switch (res.getResultCase()) {
          case GET -> {
            if (res.getGet().getFound()) {
              out().println(Bytes.display(res.getGet().getKv().getKey()));
              out().println(Bytes.display(res.getGet().getKv().getValue()));
            }
          }
          case PUT -> out().println("OK");
          case DELETE -> out().println(res.getDelete().getDeleted() ? 1 : 0);
          default -> { }
        }
      }
    }
    return r.getSucceeded() ? ExitCode.OK : ExitCode.NOT_FOUND_OR_COMPARE_FAILED;
  }

}
