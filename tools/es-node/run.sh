#!/usr/bin/env bash
# Start a single Elasticsearch 8 node in the foreground for the store's contract tests.
#   tools/es-node/run.sh DATA_DIR PORT        (then: YUQING_TEST_ES_URL=http://127.0.0.1:PORT)
# Builds on first use (online once, offline after). Security off, single-node discovery, HTTP and transport on
# 127.0.0.1 only, heap ES_NODE_HEAP (default 512m, at most 1g). The node runs from its own copy of the built
# distribution inside DATA_DIR, so neither the checkout's location nor its permissions matter to it, and two
# nodes of one checkout never share a plugins directory. Elasticsearch refuses to run as root, so as root the
# node runs as the system user yuqing-es (made if missing), which owns DATA_DIR: that user must be able to enter
# DATA_DIR's parents (so not under /root; scripts/es-node uses /var/tmp as root).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 DATA_DIR PORT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
data=$(realpath -m "$1")
port=$2
heap=${ES_NODE_HEAP:-512m}
version=8.14.3
built=$here/target/dist/elasticsearch-$version
home=$data/elasticsearch-$version
jar=$here/target/es-node-shims-1.jar

case $port in '' | *[!0-9]*) echo "PORT must be a number: $port" >&2; exit 2 ;; esac

# Rebuild when the distribution is missing or the shims' sources are newer than their jar.
if [ ! -x "$built/bin/elasticsearch" ] || [ ! -f "$jar" ] \
    || [ -n "$(find "$here/src" "$here/pom.xml" -newer "$jar" -print -quit)" ]; then
    (cd "$here" && { mvn -q -o package || mvn -q package; }) >&2
fi

# The node's own copy of the distribution (98 MB, under a second to copy). The shims go in as an ordinary
# plugin, so the official launcher loads them like any other.
mkdir -p "$data"
rm -rf "$home"
cp -R "$built" "$home"
mkdir -p "$home/plugins/yuqing-shims"
cp "$jar" "$here/target/plugin/plugin-descriptor.properties" "$home/plugins/yuqing-shims/"

java_home=${ES_JAVA_HOME:-}
if [ -z "$java_home" ]; then
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64; do
        if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then java_home=$candidate; break; fi
    done
fi
[ -n "$java_home" ] || java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")

mkdir -p "$data/config" "$data/data" "$data/logs"
cp "$home/config/log4j2.properties" "$data/config/"
cat > "$data/config/elasticsearch.yml" <<YML
cluster.name: yuqing-test
node.name: es-node
path.data: $data/data
path.logs: $data/logs
network.host: 127.0.0.1
http.port: $port
discovery.type: single-node
xpack.security.enabled: false
# A test node on a shared disk: never turn indices read-only because the disk is fuller than a server's would be.
cluster.routing.allocation.disk.threshold_enabled: false
YML
# The distribution's jvm.options writes GC logs and heap dumps relative to the home; a test node needs neither.
cat > "$data/config/jvm.options" <<'OPT'
-XX:+UseG1GC
-Djava.io.tmpdir=${ES_TMPDIR}
-XX:+ExitOnOutOfMemoryError
OPT

run=()
if [ "$(id -u)" -eq 0 ]; then
    id -u yuqing-es >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin yuqing-es
    chown -R yuqing-es: "$data"
    run=(setpriv --reuid=yuqing-es --regid=yuqing-es --init-groups)
    if ! "${run[@]}" test -w "$data/config" -a -r "$home/lib/elasticsearch-$version.jar"; then
        echo "user yuqing-es cannot enter $data: use a DATA_DIR whose parents other users can enter (not under /root)" >&2
        exit 1
    fi
fi

cd "$data"
exec env ES_PATH_CONF="$data/config" ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="-Xms$heap -Xmx$heap" \
    "${run[@]}" "$home/bin/elasticsearch"
