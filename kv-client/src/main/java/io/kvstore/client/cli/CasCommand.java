package io.kvstore.client.cli;

import com.google.protobuf.ByteString;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.CompareAndSwapResponse;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cas", mixinStandardHelpOptions = true,
    description = {"Compare-and-swap: writes NEW at KEY only if KEY holds EXPECTED now. Exits 1 when the",
        "compare fails (the key's current value is then printed).",
        "With --expected-version V, give only KEY NEW: the key's version must be V (0: the key must not exist)."},
    footer = {"", "Examples:", "  kvctl cas lock free taken", "  kvctl cas --expected-version 0 lock taken",
        "  kvctl cas config --new-file new.json old"})
final class CasCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY") String key;
  @Parameters(index = "1..*", arity = "0..2", paramLabel = "EXPECTED NEW") java.util.List<String> values;
  @Option(names = "--expected-version", paramLabel = "V",
      description = "Compare the version instead of the value (0: key absent).") Long expectedVersion;
  @Option(names = "--new-file", paramLabel = "PATH", description = "Read NEW from this file.") Path newFile;

  @Override
  void validate() {
    Bytes.key(key);
    int n = values == null ? 0 : values.size();
    int want = (expectedVersion == null ? 2 : 1) - (newFile == null ? 0 : 1);
    if (n != want) {
      throw new IllegalArgumentException("cas needs KEY " + (expectedVersion == null ? "EXPECTED " : "")
          + (newFile == null ? "NEW" : "(NEW from --new-file)") + "; got " + n + " value argument(s)");
    }
  }

  @Override
  int run(KvClient client) {
    ByteString k = Bytes.key(key);
    String newArg = newFile == null ? values.get(values.size() - 1) : null;
    ByteString newValue = Bytes.value(newArg, newFile, "new value");
    CompareAndSwapResponse r = expectedVersion != null
        ? client.blocking().compareAndSwapVersion(k, expectedVersion, newValue)
        : client.blocking().compareAndSwap(k, ByteString.copyFromUtf8(values.get(0)), newValue);
    switch (format()) {
      case json -> {
        Json.Obj o = Json.obj().put("key", key).put("succeeded", r.getSucceeded()).put("version", r.getVersion());
        if (r.hasCurrent()) {
          o.put("current", kvJson(r.getCurrent()));
        }
        out().println(o);
      }
      case value -> out().println(r.getSucceeded() ? Long.toString(r.getVersion())
          : r.hasCurrent() ? Bytes.display(r.getCurrent().getValue()) : "");
      default -> out().println(r.getSucceeded() ? "OK"
          : "FAILED: " + (r.hasCurrent() ? "current value '" + Bytes.display(r.getCurrent().getValue())
              + "' (version " + r.getCurrent().getVersion() + ")" : "the key does not exist"));
    }
    return r.getSucceeded() ? ExitCode.OK : ExitCode.NOT_FOUND_OR_COMPARE_FAILED;
  }
}
