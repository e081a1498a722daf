#!/usr/bin/env bash
# Generates the Python gRPC stubs of kvstore's public API from proto/ into gen/ (or the directory given).
# Needs python3 with grpcio and grpcio-tools (Debian: apt-get install python3-grpcio python3-grpc-tools).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
protos="$here/../../proto/src/main/proto"
out=${1:-"$here/gen"}
# The first python3 that has grpc_tools (a pyenv or venv python3 may shadow Debian's /usr/bin/python3).
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import grpc, grpc_tools' >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
[[ -n "$python" ]] || { echo "generate.sh: no python3 with grpc_tools; apt-get install python3-grpcio python3-grpc-tools" >&2; exit 1; }
mkdir -p "$out"
"$python" -m grpc_tools.protoc -I "$protos" --python_out="$out" --grpc_python_out="$out" \
  "$protos"/kvstore/v1/kv.proto "$protos"/kvstore/v1/cluster.proto "$protos"/kvstore/v1/errors.proto
# Make the generated tree importable as packages (older protoc versions do not write these files).
touch "$out/kvstore/__init__.py" "$out/kvstore/v1/__init__.py"
echo "generated $out/kvstore/v1/{kv,cluster,errors}_pb2{,_grpc}.py"
