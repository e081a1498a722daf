package io.kvstore.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flags and the config file become the node's config; flags win over the file. */
class NodeMainTest {
  @TempDir Path dir;

  private static NodeConfig parse(String... args) {
    CommandLine cli = NodeMain.commandLine(args);
    cli.parseArgs(args);
    return ((NodeMain) cli.getCommand()).toConfig();
  }

  @Test
  void flagsWinOverTheConfigFile() throws Exception {
    Path file = dir.resolve("node.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "node-id=4",
            "data-dir=" + dir.resolve("data"),
            "initial-cluster=4=127.0.0.1:7004@2,5=127.0.0.1:7005",
            "shards=8",
            "tick-ms=50",
            "cache-bytes=0",
            ""));
    NodeConfig config = parse("--config", file.toString(), "--shards", "32", "--port", "7004");
    assertThat(config.nodeId()).isEqualTo(4);
    assertThat(config.dataDir()).isEqualTo(dir.resolve("data"));
    assertThat(config.shardCount()).isEqualTo(32);
    assertThat(config.grpcPort()).isEqualTo(7004);
    assertThat(config.initialCluster())
        .containsExactly(
            new NodeConfig.InitialMember(4, "127.0.0.1:7004", 2),
            new NodeConfig.InitialMember(5, "127.0.0.1:7005", 1));
    assertThat(config.replicaOptions().tick()).isEqualTo(Duration.ofMillis(50));
    assertThat(config.replicaOptions().cacheBytes()).isZero();
    assertThat(config.replicationFactor()).isEqualTo(3);
  }

  @Test
  void aMissingNodeIdOrBadMemberIsReportedClearly() {
    assertThatThrownBy(() -> parse("--data-dir", dir.toString()))
        .hasMessageContaining("--node-id is required");
    assertThatThrownBy(
            () -> parse("--node-id", "1", "--data-dir", dir.toString(), "--initial-cluster", "1=nohost"))
        .hasMessageContaining("the address must be HOST:PORT");
    assertThatThrownBy(
            () ->
                parse("--node-id", "1", "--data-dir", dir.toString(), "--initial-cluster",
                    "1=127.0.0.1:1,1=127.0.0.1:2"))
        .hasMessageContaining("names a node id twice");
  }
}
