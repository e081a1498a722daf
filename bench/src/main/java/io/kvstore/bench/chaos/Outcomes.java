package io.kvstore.bench.chaos;

import io.grpc.Status;
import io.kvstore.bench.check.HistoryRecorder;
import io.kvstore.client.Failure;
import io.kvstore.client.KvException;

/**
 * How a failed call is recorded. A write is FAIL only when it certainly had no effect: the client made one
 * attempt and the node refused the request itself (INVALID_ARGUMENT). Everything else — a timeout, an
 * unavailable node, an overloaded one after earlier attempts — is INFO, since an earlier attempt may have
 * been proposed and committed later. A read that fails changed nothing, so it is always FAIL.
 */
final class Outcomes {
  private Outcomes() {
  }

  static void writeFailed(HistoryRecorder.Pending p, Throwable error) {
    Throwable c = unwrap(error);
    if (c instanceof KvException kv && kv.code() == Status.Code.INVALID_ARGUMENT && kv.attempts() <= 1) {
      p.fail(describe(c));
    } else {
      p.info(describe(c));
    }
  }

  static void readFailed(HistoryRecorder.Pending p, Throwable error) {
    p.fail(describe(unwrap(error)));
  }

  static String describe(Throwable c) {
    if (c instanceof KvException kv) {
      String m = String.valueOf(kv.getMessage());
      return kv.code() + " after " + kv.attempts() + " attempt(s): " + (m.length() > 160 ? m.substring(0, 160) : m);
    }
    return Failure.statusOf(c).getCode() + ": " + c;
  }

  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException
        || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
