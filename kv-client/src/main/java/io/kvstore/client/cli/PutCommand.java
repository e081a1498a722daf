package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.PutResponse;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "put", mixinStandardHelpOptions = true,
    description = {"Writes a value at a key.",
        "The value is VALUE, the bytes of --file PATH, or stdin when VALUE is '-' or left out."},
    footer = {"", "Examples:", "  kvctl put greeting hello", "  kvctl put photo --file cat.jpg",
        "  echo -n hi | kvctl put greeting -"})
final class PutCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY") String key;
  @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1") String value;
  @Option(names = "--file", paramLabel = "PATH", description = "Read the value from this file.") Path file;
  @Option(names = "--lease", paramLabel = "ID",
      description = "Attach the key to this lease (kvctl lease grant): deleted when it expires.") long lease;

  @Override
  int run(KvClient client) {
    PutResponse r = lease == 0
        ? client.blocking().put(Bytes.key(key), Bytes.value(value, file, "value"))
        : io.kvstore.client.Coordination.await(client.put(io.kvstore.proto.v1.PutRequest.newBuilder()
            .setKey(Bytes.key(key)).setValue(Bytes.value(value, file, "value")).setLease(lease).build()));
    switch (format()) {
      case json -> out().println(Json.obj().put("key", key).put("version", r.getVersion()));
      case value -> out().println(r.getVersion());
      default -> out().println("OK");
    }
    return ExitCode.OK;
  }

  @Override
  void validate() {
    Bytes.key(key);
  }
}
