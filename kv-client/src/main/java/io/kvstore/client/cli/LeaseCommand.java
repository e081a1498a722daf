package io.kvstore.client.cli;

import static io.kvstore.client.Coordination.await;

import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseRevokeResponse;
import io.kvstore.proto.v1.LeaseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kvctl lease grant|keepalive|revoke|list} (lease.proto). */
@Command(name = "lease", mixinStandardHelpOptions = true,
    description = "Leases: keys and locks that vanish when their lease is not kept alive.",
    subcommands = {LeaseCommand.Grant.class, LeaseCommand.KeepAlive.class, LeaseCommand.Revoke.class,
        LeaseCommand.ListLeases.class})
final class LeaseCommand {

  @Command(name = "grant", mixinStandardHelpOptions = true,
      description = {"Grants a lease and prints its id.",
          "The lease lives in the shard of --key: attach keys with the same hash tag to it."},
      footer = {"", "Example:", "  kvctl lease grant 10s --key '{job-7}'"})
  static final class Grant extends ClientCommand {
    @Parameters(index = "0", paramLabel = "TTL", description = "Time to live: 500ms, 10s, 1m (at most 1h).")
    String ttl;
    @Option(names = "--key", required = true, paramLabel = "KEY", description = "Places the lease in this key's shard.")
    String key;

    @Override
    void validate() {
      Kvctl.parseDuration("TTL", ttl);
      Bytes.key(key);
    }

    @Override
    int run(KvClient client) {
      long millis = Kvctl.parseDuration("TTL", ttl).toMillis();
      LeaseGrantResponse r = await(client.coordination().grantLease(Bytes.key(key), millis));
      switch (format()) {
        case json -> out().println(Json.obj().put("id", r.getId()).put("ttl_millis", r.getTtlMillis()));
        default -> out().println(r.getId());
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "keepalive", mixinStandardHelpOptions = true,
      description = {"Keeps a lease alive, renewing it every third of its TTL, until interrupted or --count",
          "renewals; exits 1 when the lease is gone."})
  static final class KeepAlive extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID") long id;
    @Option(names = "--count", paramLabel = "N", description = "Stop after N renewals (default: never).")
    long count = Long.MAX_VALUE;

    @Override
    int run(KvClient client) throws InterruptedException {
      for (long i = 0; i < count; i++) {
        long ttl = await(client.coordination().keepAliveOnce(id));
        if (ttl == 0) {
          err().println("kvctl: lease " + Long.toUnsignedString(id) + " is gone (expired or revoked)");
          return ExitCode.NOT_FOUND_OR_COMPARE_FAILED;
        }
        if (format() == OutputFormat.json) {
          out().println(Json.obj().put("id", id).put("ttl_millis", ttl));
        } else {
          out().println("lease " + Long.toUnsignedString(id) + " kept alive, TTL " + ttl + " ms");
        }
        out().flush();
        if (i + 1 < count) {
          TimeUnit.MILLISECONDS.sleep(Math.max(1, ttl / 3));
        }
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revokes a lease: its keys are deleted and its locks released.")
  static final class Revoke extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID") long id;

    @Override
    int run(KvClient client) {
      LeaseRevokeResponse r = await(client.coordination().revokeLease(id));
      switch (format()) {
        case json -> out().println(Json.obj().put("id", id).put("keys_deleted", r.getKeysDeleted()));
        default -> out().println("revoked lease " + Long.toUnsignedString(id) + " (" + r.getKeysDeleted()
            + " keys deleted)");
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The leases of the cluster: id, shard, TTL left, granted TTL, attached keys.")
  static final class ListLeases extends ClientCommand {
    @Override
    int run(KvClient client) {
      List<LeaseStatus> leases = await(client.coordination().listLeases());
      if (format() == OutputFormat.json) {
        List<Object> items = new ArrayList<>();
        leases.forEach(l -> items.add(Json.obj().put("id", l.getId()).put("shard_id", l.getShardId())
            .put("ttl_left_millis", l.getTtlLeftMillis()).put("granted_ttl_millis", l.getGrantedTtlMillis())
            .put("keys", l.getKeyCount())));
        out().println(Json.obj().put("leases", items));
      } else if (format() == OutputFormat.value) {
        leases.forEach(l -> out().println(l.getId()));
      } else {
        List<String[]> rows = new ArrayList<>();
        leases.forEach(l -> rows.add(new String[] {Long.toUnsignedString(l.getId()), Long.toString(l.getShardId()),
            Long.toString(l.getTtlLeftMillis()), Long.toString(l.getGrantedTtlMillis()),
            Integer.toString(l.getKeyCount())}));
        Table.print(out(), new String[] {"ID", "SHARD", "TTL_LEFT_MS", "TTL_MS", "KEYS"}, rows);
      }
      return ExitCode.OK;
    }
  }

}
