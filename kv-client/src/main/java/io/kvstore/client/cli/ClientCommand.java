package io.kvstore.client.cli;

import com.google.protobuf.ByteString;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.KeyValue;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A kvctl command that talks to the cluster: it gets a client for the run and closes it after. */
abstract class ClientCommand implements Callable<Integer> {
  /** Where {@code -o value} writes raw bytes; tests replace it. */
  static OutputStream rawStdout = System.out;

  @Spec CommandSpec spec;

  Kvctl root() {
    return (Kvctl) spec.root().userObject();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  OutputFormat format() {
    return root().output;
  }

  @Override
  public final Integer call() throws Exception {
    validate();
    try (KvClient client = root().openClient()) {
      int status = run(client);
      out().flush();
      return status;
    }
  }

  /** Checks the arguments before any connection is made (throw IllegalArgumentException). */
  void validate() {}

  abstract int run(KvClient client) throws Exception;

  /** The raw bytes of a value, nothing added (binary-safe {@code -o value}). */
  void writeRaw(ByteString bytes) {
    out().flush();
    try {
      bytes.writeTo(rawStdout);
      rawStdout.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Json.Obj kvJson(KeyValue kv) {
    return Json.obj().bytes("key", kv.getKey()).bytes("value", kv.getValue()).put("version", kv.getVersion())
        .put("create_version", kv.getCreateVersion());
  }

  static String[] kvRow(KeyValue kv) {
    return new String[] {Bytes.display(kv.getKey()), Bytes.display(kv.getValue()),
        Long.toString(kv.getVersion())};
  }

  static final String[] KV_HEADER = {"KEY", "VALUE", "VERSION"};
}
