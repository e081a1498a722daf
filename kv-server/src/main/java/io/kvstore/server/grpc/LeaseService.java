package io.kvstore.server.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvstore.proto.v1.Consistency;
import io.kvstore.proto.v1.LeaseGrantRequest;
import io.kvstore.proto.v1.LeaseGrantResponse;
import io.kvstore.proto.v1.LeaseGrpc;
import io.kvstore.proto.v1.LeaseKeepAliveRequest;
import io.kvstore.proto.v1.LeaseKeepAliveResponse;
import io.kvstore.proto.v1.LeaseListRequest;
import io.kvstore.proto.v1.LeaseListResponse;
import io.kvstore.proto.v1.LeaseRevokeRequest;
import io.kvstore.proto.v1.LeaseRevokeResponse;
import io.kvstore.proto.v1.LeaseStatus;
import io.kvstore.proto.v1.LeaseTimeToLiveRequest;
import io.kvstore.proto.v1.LeaseTimeToLiveResponse;
import io.kvstore.server.cluster.LocalClusterMap;
import io.kvstore.server.grpc.KvStatuses.Kind;
import io.kvstore.server.grpc.LeaderCalls.Call;
import io.kvstore.server.lease.LeaseKeeper;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import io.kvstore.server.replica.NotLeaderException;
import io.kvstore.server.replica.ShardReplicas;
import io.kvstore.server.statemachine.LeaseTable;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The public {@code kvstore.v1.Lease} service (lease.proto). Grant and Revoke go through the lease's shard
 * log; KeepAlive and TimeToLive are answered by the shard's leader from its {@link LeaseKeeper}, after a
 * ReadIndex round confirms it still leads (so a deposed leader cannot renew a lease the new leader is
 * about to expire). Calls are forwarded to the leader when this node does not lead the shard: unary calls
 * whole, a KeepAlive stream one renewal at a time (each on a short stream of its own to the leader, so the
 * client's stream outlives leader changes; a routing client sends it to the leader and saves the hop).
 */
public final class LeaseService extends LeaseGrpc.LeaseImplBase {
  /** The longest TTL a lease may have (lease.proto, "Limits"). */
  public static final long MAX_TTL_MILLIS = 3_600_000L;

  private final LeaderCalls calls;

  public LeaseService(long selfId, LocalClusterMap map, ShardReplicas replicas, PeerChannels channels,
      Executor executor) {
    this.calls = new LeaderCalls(selfId, map, replicas, channels, executor);
  }

  @Override
  public void grant(LeaseGrantRequest r, StreamObserver<LeaseGrantResponse> out) {
    Call call = Call.begin();
    if (!LeaderCalls.check(out, () -> {
      calls.checkHeader(r.getHeader());
      if (r.getTtlMillis() < 1 || r.getTtlMillis() > MAX_TTL_MILLIS) {
        throw KvStatuses.invalidArgument("ttl_millis must be 1 to " + MAX_TTL_MILLIS + ", not "
            + r.getTtlMillis());
      }
      if (r.getKey().isEmpty() || r.getKey().size() > 4096) {
        throw KvStatuses.invalidArgument("the key that places the lease must be 1 to 4096 bytes, not "
            + r.getKey().size());
      }
    })) {
      return;
    }
    long shard = calls.shardOf(r.getKey());
    CompletableFuture<LeaseGrantResponse> f = LeaderCalls.start(
            () -> calls.replicas.propose(shard, new Command.LeaseGrant(r)))
        .thenApply(res -> ((CommandResult.LeaseGrant) res).response().toBuilder()
            .setHeader(calls.header(shard)).build())
        .exceptionallyCompose(e -> calls.orForward(call, shard, e, LeaseGrpc.getGrantMethod(), r));
    calls.reply(call, f, out, Kind.WRITE);
  }

  @Override
  public void revoke(LeaseRevokeRequest r, StreamObserver<LeaseRevokeResponse> out) {
    Call call = Call.begin();
    if (!LeaderCalls.check(out, () -> {
      calls.checkHeader(r.getHeader());
      checkId(r.getId());
    })) {
      return;
    }
    long shard = LeaseTable.shardOf(r.getId());
    CompletableFuture<LeaseRevokeResponse> f = LeaderCalls.start(
            () -> calls.replicas.propose(shard, new Command.LeaseRevoke(r)))
        .thenApply(res -> ((CommandResult.LeaseRevoke) res).response().toBuilder()
            .setHeader(calls.header(shard)).build())
        .exceptionallyCompose(e -> calls.orForward(call, shard, e, LeaseGrpc.getRevokeMethod(), r));
    calls.reply(call, f, out, Kind.WRITE);
  }

  @Override
  public void timeToLive(LeaseTimeToLiveRequest r, StreamObserver<LeaseTimeToLiveResponse> out) {
    Call call = Call.begin();
    if (!LeaderCalls.check(out, () -> {
      calls.checkHeader(r.getHeader());
      checkId(r.getId());
    })) {
      return;
    }
    long shard = LeaseTable.shardOf(r.getId());
    CompletableFuture<LeaseTimeToLiveResponse> f = confirmLeader(shard).thenApply(keeper -> {
      LeaseTable.Lease l = keeper.table().get(r.getId());
      OptionalLong left = keeper.ttlLeftMillis(r.getId());
      if (l == null || left.isEmpty()) {
        throw unknown(r.getId());
      }
      LeaseTimeToLiveResponse.Builder b = LeaseTimeToLiveResponse.newBuilder().setHeader(calls.header(shard))
          .setId(l.id()).setTtlLeftMillis(left.getAsLong()).setGrantedTtlMillis(l.ttlMillis());
      if (r.getKeys()) {
        b.addAllKeys(l.keys());
      }
      return b.build();
    }).exceptionallyCompose(e -> calls.orForward(call, shard, e, LeaseGrpc.getTimeToLiveMethod(), r));
    calls.reply(call, f, out, Kind.READ);
  }

  @Override
  public void leases(LeaseListRequest r, StreamObserver<LeaseListResponse> out) {
    if (!LeaderCalls.check(out, () -> calls.checkHeader(r.getHeader()))) {
      return;
    }
    LeaseListResponse.Builder b = LeaseListResponse.newBuilder()
        .setHeader(io.kvstore.proto.v1.ResponseHeader.newBuilder().setNodeId(calls.selfId)
            .setEpoch(calls.map.epoch()));
    for (long shard : calls.replicas.localShards()) {
      calls.replicas.leases(shard).filter(LeaseKeeper::leading).ifPresent(keeper -> {
        List<LeaseTable.Lease> all = keeper.table().all().stream()
            .sorted(Comparator.comparingLong(LeaseTable.Lease::id)).toList();
        for (LeaseTable.Lease l : all) {
          b.addLeases(LeaseStatus.newBuilder().setId(l.id()).setShardId(shard)
              .setTtlLeftMillis(keeper.ttlLeftMillis(l.id()).orElse(0)).setGrantedTtlMillis(l.ttlMillis())
              .setKeyCount(l.keys().size()));
        }
      });
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> keepAlive(StreamObserver<LeaseKeepAliveResponse> out) {
    // Captured on the handler's thread: a stream another node forwarded here is never forwarded again.
    boolean forwardedHere = Call.begin().forwarded();
    return new StreamObserver<>() {
      private boolean done;
      /** Renewals still being answered: a half-close completes the stream only after them. */
      private int pending;
      private boolean halfClosed;

      @Override
      public void onNext(LeaseKeepAliveRequest r) {
        synchronized (this) {
          pending++;
        }
        try {
          calls.checkCluster(r.getClusterId());
          checkId(r.getId());
        } catch (io.grpc.StatusRuntimeException e) {
          end(e);
          return;
        }
        long shard = LeaseTable.shardOf(r.getId());
        confirmLeader(shard)
            .thenApply(keeper -> LeaseKeepAliveResponse.newBuilder().setHeader(calls.header(shard))
                .setId(r.getId()).setTtlMillis(keeper.renew(r.getId()).orElse(0)).build())
            .exceptionallyCompose(e -> calls.orForward(renewal(forwardedHere), shard, e,
                LeaseGrpc.getKeepAliveMethod(), r))
            .whenCompleteAsync((response, failure) -> {
              if (failure != null) {
                end(calls.toStatus(failure, Kind.READ));
              } else {
                send(response);
              }
            }, calls.executor);
      }

      private synchronized void answered() {
        pending--;
        if (halfClosed && pending == 0 && !done) {
          done = true;
          out.onCompleted();
        }
      }

      @Override
      public void onError(Throwable t) {
        synchronized (this) {
          done = true;
        }
      }

      @Override
      public synchronized void onCompleted() {
        halfClosed = true;
        if (pending == 0 && !done) {
          done = true;
          out.onCompleted();
        }
      }

      private synchronized void send(LeaseKeepAliveResponse resp) {
        if (!done) {
          try {
            out.onNext(resp);
          } catch (RuntimeException cancelled) {
            done = true;
          }
        }
        answered();
      }

      private synchronized void end(Throwable status) {
        pending--;
        if (!done) {
          done = true;
          try {
            out.onError(status);
          } catch (RuntimeException cancelled) {
            // The client went away.
          }
        }
      }
    };
  }

  /** How long a renewal forwarded to the leader may take (a KeepAlive stream itself has no deadline). */
  private static final long FORWARDED_RENEWAL_MILLIS = 5_000;

  /** One renewal's deadline and origin, for forwarding it. */
  private static Call renewal(boolean forwardedHere) {
    return new Call(io.grpc.Deadline.after(FORWARDED_RENEWAL_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS),
        forwardedHere);
  }

  /**
   * Completes with the shard's lease keeper once a ReadIndex round confirmed this replica leads (Raft
   * §6.4: a heartbeat quorum), else fails with {@link NotLeaderException}.
   */
  private CompletableFuture<LeaseKeeper> confirmLeader(long shard) {
    var keeper = calls.replicas.leases(shard);
    if (keeper.isEmpty() || !keeper.get().leading()) {
      return CompletableFuture.failedFuture(new NotLeaderException(shard, calls.replicas.leaderHint(shard)));
    }
    return LeaderCalls.start(() -> calls.replicas.read(shard, Consistency.CONSISTENCY_LINEARIZABLE))
        .thenApply(view -> {
          if (!keeper.get().leading()) {
            throw new NotLeaderException(shard, calls.replicas.leaderHint(shard));
          }
          return keeper.get();
        });
  }

  private void checkId(long id) {
    long shard = LeaseTable.shardOf(id);
    if (id == 0 || calls.map.replicaNodes(shard).isEmpty()) {
      throw Status.NOT_FOUND.withDescription("lease " + Long.toUnsignedString(id)
          + " is unknown (its id names no shard of this cluster)").asRuntimeException();
    }
  }

  private static io.grpc.StatusRuntimeException unknown(long id) {
    return Status.NOT_FOUND.withDescription("lease " + Long.toUnsignedString(id)
        + " is unknown (never granted, expired or revoked)").asRuntimeException();
  }
}
