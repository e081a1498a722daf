package io.kvstore.client.cli;

import picocli.CommandLine.Command;

/** {@code kvctl cluster ...}. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster-wide views.",
    subcommands = {ClusterStatusCommand.class})
final class ClusterCommand {}
