package io.kvstore.client.cli;

import static io.kvstore.client.Coordination.await;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.kvstore.client.KvClient;
import io.kvstore.client.KvException;
import io.kvstore.proto.v1.ClusterMap;
import io.kvstore.proto.v1.Shard;
import io.kvstore.proto.v1.WatchEvent;
import io.kvstore.proto.v1.WatchRequest;
import io.kvstore.proto.v1.WatchResponse;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kvctl watch KEY | --prefix P [--from VERSION] [--count N]} (watch.proto). */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = {"Prints the changes to a key, or to every key with a prefix, as they happen.",
        "One line per change: PUT KEY VALUE VERSION or DELETE KEY VERSION. Runs until interrupted or",
        "--count changes. Served by the first of --endpoints (it must host every shard watched)."},
    footer = {"", "Examples:", "  kvctl watch greeting", "  kvctl watch --prefix 'user:' --from 120"})
final class WatchCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY", arity = "0..1") String key;
  @Option(names = "--prefix", paramLabel = "P", description = "Watch every key that starts with P.") String prefix;
  @Option(names = "--from", paramLabel = "VERSION",
      description = "Start at this version in every shard (default: the next change).") long from;
  @Option(names = "--count", paramLabel = "N", description = "Exit after N changes.") long count = Long.MAX_VALUE;

  @Override
  void validate() {
    if ((key == null) == (prefix == null)) {
      throw new IllegalArgumentException("give either KEY or --prefix P");
    }
    if (key != null) {
      Bytes.key(key);
    }
    if (prefix != null && prefix.isEmpty() && from == 0) {
      throw new IllegalArgumentException("an empty --prefix watches every key: give --from VERSION too");
    }
  }

  @Override
  int run(KvClient client) throws Exception {
    WatchRequest.Builder req = WatchRequest.newBuilder();
    if (key != null) {
      req.setKey(Bytes.key(key));
    } else {
      req.setPrefix(ByteString.copyFromUtf8(prefix));
    }
    if (from != 0) {
      ClusterMap map = await(client.clusterMap());
      for (Shard s : map.getShardsList()) {
        req.putStartVersions(s.getId(), from);
      }
    }
    AtomicLong seen = new AtomicLong();
    CompletableFuture<Integer> done = new CompletableFuture<>();
    Context.CancellableContext ctx = client.coordination().watch(root().endpointList().get(0).toString(),
        req.build(), new StreamObserver<>() {
          @Override
          public void onNext(WatchResponse r) {
            synchronized (WatchCommand.this) {
              for (WatchEvent e : r.getEventsList()) {
                if (seen.get() >= count) {
                  break;
                }
                print(r.getShardId(), e);
                seen.incrementAndGet();
              }
              out().flush();
              if (seen.get() >= count) {
                done.complete(ExitCode.OK);
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            done.completeExceptionally(new KvException(s.getCode(), String.valueOf(s.getDescription()), 1,
                s.getCode() != Status.Code.UNAVAILABLE, t));
          }

          @Override
          public void onCompleted() {
            done.complete(ExitCode.OK);
          }
        });
    try {
      return done.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    } finally {
      ctx.cancel(null);
    }
  }

  private void print(long shard, WatchEvent e) {
    boolean put = e.getType() == WatchEvent.Type.TYPE_PUT;
    if (format() == OutputFormat.json) {
      Json.Obj o = Json.obj().put("type", put ? "PUT" : "DELETE").put("shard_id", shard)
          .bytes("key", e.getKv().getKey()).put("version", e.getKv().getVersion());
      if (put) {
        o.bytes("value", e.getKv().getValue());
      }
      out().println(o);
    } else if (put) {
      out().println("PUT " + Bytes.display(e.getKv().getKey()) + " " + Bytes.display(e.getKv().getValue()) + " "
          + e.getKv().getVersion());
    } else {
      out().println("DELETE " + Bytes.display(e.getKv().getKey()) + " " + e.getKv().getVersion());
    }
  }
}
