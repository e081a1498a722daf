package io.kvstore.client.cli;

import io.grpc.Status;
import io.kvstore.client.KvException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Turns what a command threw into one line on stderr and kvctl's documented exit status: never a stack
 * trace for a user error. A bug (any other exception) still shows its stack trace, since only a
 * developer can act on it.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) throws Exception {
    Kvctl root = cmd.getCommandSpec().root().userObject() instanceof Kvctl k ? k : null;
    String endpoints = root == null ? "?" : root.endpoints;
    String timeout = root == null ? "?" : root.timeout;
    var err = cmd.getErr();
    if (ex instanceof IllegalArgumentException) {
      err.println("kvctl: " + ex.getMessage());
      return ExitCode.USAGE;
    }
    if (ex instanceof UncheckedIOException u) {
      return io(err, u.getCause());
    }
    if (ex instanceof IOException io) {
      return io(err, io);
    }
    if (ex instanceof KvException kv) {
      Status.Code code = kv.code();
      switch (code) {
        case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> {
          err.println("kvctl: the cluster refused the request: " + serverMessage(kv));
          return ExitCode.USAGE;
        }
        case NOT_FOUND -> {
          err.println("kvctl: " + serverMessage(kv));
          return ExitCode.NOT_FOUND_OR_COMPARE_FAILED;
        }
        case DEADLINE_EXCEEDED -> {
          err.println("kvctl: the cluster did not answer within --timeout " + timeout
              + "; try a longer --timeout, or check the nodes with 'kvctl cluster status'");
          return ExitCode.UNREACHABLE;
        }
        case UNAVAILABLE -> {
          if (!kv.anyNodeAnswered()) {
            err.println("kvctl: no node answered at " + endpoints
                + "; is the cluster running? (scripts/cluster start)");
          } else {
            err.println("kvctl: the cluster could not serve the request (" + serverMessage(kv)
                + "); retry in a moment, or check 'kvctl cluster status'");
          }
          return ExitCode.UNREACHABLE;
        }
        default -> {
          err.println("kvctl: the request failed: " + serverMessage(kv));
          return ExitCode.UNREACHABLE;
        }
      }
    }
    throw ex;
  }

  private static int io(java.io.PrintWriter err, IOException e) {
    if (e instanceof NoSuchFileException nsf) {
      err.println("kvctl: cannot read '" + nsf.getFile() + "': no such file");
    } else {
      err.println("kvctl: cannot read input: " + e.getMessage());
    }
    return ExitCode.USAGE;
  }

  private static String serverMessage(KvException kv) {
    String m = kv.getMessage();
    int at = m.indexOf(" failed: ");
    return at >= 0 ? m.substring(at + " failed: ".length()) : m;
  }
}
