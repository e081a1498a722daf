package io.kvstore.client.cli;

import static io.kvstore.client.Coordination.await;

import com.google.protobuf.ByteString;
import io.kvstore.client.Coordination;
import io.kvstore.client.KvClient;
import io.kvstore.proto.v1.LockAcquireResponse;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl lock NAME [--ttl 10s] [--wait 1m] -- COMMAND ARGS...}: grants a lease, waits for the lock in
 * its FIFO queue, runs COMMAND while keeping the lease alive, then releases the lock and revokes the lease.
 */
@Command(name = "lock", mixinStandardHelpOptions = true,
    description = {"Runs a command while holding a lock.",
        "The command gets KVSTORE_LOCK_NAME, KVSTORE_LOCK_TOKEN (the fencing token: pass it with its writes,",
        "kv.proto Fence) and KVSTORE_LEASE_ID in its environment. If kvctl dies, the lock frees itself",
        "after --ttl. Exits with the command's status."},
    footer = {"", "Example:", "  kvctl lock '{job-7}' --ttl 10s -- ./run-job.sh"})
final class LockCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;
  @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "1..*") List<String> command;
  @Option(names = "--ttl", defaultValue = "10s", description = "The lease's TTL (default: ${DEFAULT-VALUE}).")
  String ttl;
  @Option(names = "--wait", defaultValue = "1m",
      description = "How long to wait for the lock (default: ${DEFAULT-VALUE}).")
  String wait;

  @Override
  void validate() {
    Bytes.key(name);
    Kvctl.parseDuration("--ttl", ttl);
    Kvctl.parseDuration("--wait", wait);
  }

  @Override
  int run(KvClient client) throws Exception {
    ByteString lock = Bytes.key(name);
    long ttlMillis = Kvctl.parseDuration("--ttl", ttl).toMillis();
    Coordination c = client.coordination();
    long lease = await(c.grantLease(lock, ttlMillis)).getId();
    ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kvctl-lock-keepalive");
      t.setDaemon(true);
      return t;
    });
    try {
      keeper.scheduleAtFixedRate(() -> {
        try {
          await(c.keepAliveOnce(lease));
        } catch (RuntimeException e) {
          // The next renewal retries; the lease survives one missed renewal (every third of the TTL).
        }
      }, ttlMillis / 3, Math.max(1, ttlMillis / 3), TimeUnit.MILLISECONDS);
      LockAcquireResponse held = await(c.acquire(lock, lease, Kvctl.parseDuration("--wait", wait)));
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().put("KVSTORE_LOCK_NAME", name);
      pb.environment().put("KVSTORE_LOCK_TOKEN", Long.toString(held.getToken()));
      pb.environment().put("KVSTORE_LEASE_ID", Long.toUnsignedString(lease));
      Process p = pb.start();
      int status = p.waitFor();
      await(c.release(lock, lease));
      return status;
    } finally {
      keeper.shutdownNow();
      try {
        await(c.revokeLease(lease));
      } catch (RuntimeException e) {
        err().println("kvctl: could not revoke lease " + Long.toUnsignedString(lease) + " (" + e.getMessage()
            + "); it expires after " + ttl);
      }
    }
  }

}
