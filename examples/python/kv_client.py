#!/usr/bin/env python3
"""A minimal kvstore client in Python, generated from proto/ (run ./generate.sh first).

It shows that any gRPC language reaches kvstore without routing logic: every node accepts every request
and forwards it to the shard's leader. It retries UNAVAILABLE answers (a shard electing a leader, a node
restarting) with backoff, and follows a NotLeader detail to the leader it names.

    ./generate.sh
    python3 kv_client.py --endpoint 127.0.0.1:7001 put greeting hello
    python3 kv_client.py --endpoint 127.0.0.1:7002 get greeting      # any node answers
    python3 kv_client.py --endpoint 127.0.0.1:7003 scan --prefix gree
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))
if os.environ.get("KVSTORE_PY_GEN"):
    sys.path.insert(0, os.environ["KVSTORE_PY_GEN"])

import grpc  # noqa: E402
from kvstore.v1 import errors_pb2, kv_pb2, kv_pb2_grpc  # noqa: E402

try:  # google.rpc.Status, for the typed error details; optional
    from google.rpc import status_pb2  # noqa: E402
except ImportError:  # pragma: no cover
    status_pb2 = None


def not_leader_address(error):
    """The leader address of a NotLeader detail in the error's trailers, or None."""
    if status_pb2 is None:
        return None
    for key, value in (error.trailing_metadata() or ()):
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(errors_pb2.NotLeader.DESCRIPTOR):
                    nl = errors_pb2.NotLeader()
                    detail.Unpack(nl)
                    return nl.leader_address or None
    return None


class KvClient:
    """Sends each call to one node, retrying transient failures for up to `deadline` seconds."""

    def __init__(self, endpoint, deadline=10.0):
        self.endpoint = endpoint
        self.deadline = deadline
        self._channels = {}

    def _stub(self, endpoint):
        if endpoint not in self._channels:
            self._channels[endpoint] = grpc.insecure_channel(endpoint)
        return kv_pb2_grpc.KVStub(self._channels[endpoint])

    def _call(self, method, request):
        end = time.monotonic() + self.deadline
        endpoint, delay = self.endpoint, 0.02
        while True:
            left = end - time.monotonic()
            try:
                return getattr(self._stub(endpoint), method)(request, timeout=max(left, 0.001))
            except grpc.RpcError as e:
                if e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED) \
                        or time.monotonic() + delay >= end:
                    raise
                leader = not_leader_address(e)
                if leader:
                    endpoint = leader
                    continue
                endpoint = self.endpoint
                time.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, 1.0)

    def put(self, key, value):
        return self._call("Put", kv_pb2.PutRequest(key=key, value=value)).version

    def get(self, key, consistency=kv_pb2.CONSISTENCY_LINEARIZABLE):
        r = self._call("Get", kv_pb2.GetRequest(key=key, consistency=consistency))
        return r.kv.value if r.found else None

    def delete(self, key):
        return self._call("Delete", kv_pb2.DeleteRequest(key=key)).deleted

    def scan(self, prefix=b"", limit=1000):
        token = b""
        while True:
            r = self._call("Scan", kv_pb2.ScanRequest(prefix=prefix, limit=limit, continuation_token=token))
            for kv in r.kvs:
                yield kv.key, kv.value
            if not r.continuation_token:
                return
            token = r.continuation_token

    def close(self):
        for ch in self._channels.values():
            ch.close()


def main(argv):
    p = argparse.ArgumentParser(description="A tiny kvstore client (Python, generated stubs).")
    p.add_argument("--endpoint", default="127.0.0.1:7001", help="any node, HOST:PORT")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call, retries included")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("put"); s.add_argument("key"); s.add_argument("value")
    s = sub.add_parser("get"); s.add_argument("key")
    s.add_argument("--consistency", choices=["linearizable", "lease", "stale"], default="linearizable")
    s = sub.add_parser("del"); s.add_argument("key")
    s = sub.add_parser("scan"); s.add_argument("--prefix", default="")
    args = p.parse_args(argv)

    client = KvClient(args.endpoint, args.timeout)
    try:
        if args.cmd == "put":
            client.put(args.key.encode(), args.value.encode())
            print("OK")
        elif args.cmd == "get":
            level = {"linearizable": kv_pb2.CONSISTENCY_LINEARIZABLE, "lease": kv_pb2.CONSISTENCY_LEASE,
                     "stale": kv_pb2.CONSISTENCY_STALE}[args.consistency]
            value = client.get(args.key.encode(), level)
            if value is None:
                print("key '%s' not found" % args.key, file=sys.stderr)
                return 1
            print(value.decode("utf-8", "backslashreplace"))
        elif args.cmd == "del":
            print(1 if client.delete(args.key.encode()) else 0)
        elif args.cmd == "scan":
            for k, v in client.scan(args.prefix.encode()):
                print("%s\t%s" % (k.decode("utf-8", "backslashreplace"), v.decode("utf-8", "backslashreplace")))
        return 0
    except grpc.RpcError as e:
        print("kv_client: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 3
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
