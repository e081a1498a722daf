# Shared by the scripts in this folder: where things are, and building the jars when they are missing.
# shellcheck shell=bash

KVSTORE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KVSTORE_SERVER_JAR="$KVSTORE_ROOT/kv-server/target/kvstore-server-0.1.0-SNAPSHOT.jar"
KVSTORE_SERVER_LIB="$KVSTORE_ROOT/kv-server/target/lib"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

require_java() {
  command -v java >/dev/null 2>&1 || die "java not found: install a JDK 17 or newer (e.g. apt-get install openjdk-17-jdk-headless)"
}

# Builds the server and client jars (and their runtime class path) when they are missing or older than
# the sources, so the scripts always run the code in the work tree.
# KVSTORE_NO_BUILD=1 skips this and runs whatever jars are there.
ensure_built() {
  require_java
  if [[ -n "${KVSTORE_NO_BUILD:-}" && -f "$KVSTORE_SERVER_JAR" && -d "$KVSTORE_SERVER_LIB" ]]; then
    return 0
  fi
  if [[ -f "$KVSTORE_SERVER_JAR" && -d "$KVSTORE_SERVER_LIB" ]] &&
    [[ -z "$(cd "$KVSTORE_ROOT" && find pom.xml proto raft storage kv-client kv-server \
      -path '*/target' -prune -o -newer "$KVSTORE_SERVER_JAR" -type f -print -quit 2>/dev/null)" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "the jars are not built and mvn is not installed (apt-get install maven)"
  echo "Building kvstore (the jars are missing or older than the sources)..." >&2
  (cd "$KVSTORE_ROOT" && mvn -q -B -DskipTests -pl kv-server -am package) >&2 ||
    die "the build failed; run 'mvn -DskipTests package' in $KVSTORE_ROOT to see why"
}

# The class path that runs both the node and kvctl.
runtime_classpath() {
  echo "$KVSTORE_SERVER_JAR:$KVSTORE_SERVER_LIB/*"
}
