package io.kvstore.client.cli;

/** kvctl's exit statuses, the same for every command (scripts rely on them). */
public final class ExitCode {
  /** The command did what was asked. */
  public static final int OK = 0;
  /** The key was not found, or a compare failed. */
  public static final int NOT_FOUND_OR_COMPARE_FAILED = 1;
  /** The command line was wrong (unknown option, bad endpoint, missing file). */
  public static final int USAGE = 2;
  /** No node of the cluster could be reached. */
  public static final int UNREACHABLE = 3;

  private ExitCode() {}
}
