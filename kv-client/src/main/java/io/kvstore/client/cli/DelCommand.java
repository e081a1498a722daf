package io.kvstore.client.cli;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.DeleteResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "del", mixinStandardHelpOptions = true,
    description = "Deletes a key. Prints the number of keys deleted; exits 1 when the key did not exist.")
final class DelCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY") String key;

  @Override
  void validate() {
    Bytes.key(key);
  }

  @Override
  int run(KvClient client) {
    DeleteResponse r = client.blocking().delete(Bytes.key(key));
    int n = r.getDeleted() ? 1 : 0;
    if (format() == OutputFormat.json) {
      out().println(Json.obj().put("key", key).put("deleted", n).put("version", r.getVersion()));
    } else {
      out().println(n);
    }
    if (!r.getDeleted()) {
      err().println("kvctl: key '" + key + "' not found");
      return ExitCode.NOT_FOUND_OR_COMPARE_FAILED;
    }
    return ExitCode.OK;
  }
}
