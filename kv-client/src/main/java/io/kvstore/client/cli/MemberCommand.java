package io.kvstore.client.cli;

import picocli.CommandLine.Command;

/** {@code kvctl member ...}. */
@Command(name = "member", mixinStandardHelpOptions = true, description = "Cluster membership.",
    subcommands = {MemberListCommand.class, MemberAddCommand.class, MemberRemoveCommand.class})
final class MemberCommand {}
