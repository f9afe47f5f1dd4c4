#!/usr/bin/env bash
# Local stack for dev and CI: single-node Apache Kafka (KRaft) from Maven Central jars and
# FerretDB v1 (Mongo wire, SQLite) from an embedded Go main. Idempotent: `up` twice is a no-op.
#
#   deploy/local/stack.sh up | down | status
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), MONGO_PORT (27017),
#              LOCAL_DIR (.local under the repository root).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
LOCAL_DIR=${LOCAL_DIR:-$root/.local}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
MONGO_PORT=${MONGO_PORT:-27017}
KAFKA_HEAP=${KAFKA_HEAP:-512m}

kafka_dir=$LOCAL_DIR/kafka
ferret_dir=$LOCAL_DIR/ferretdb
mkdir -p "$kafka_dir/logs" "$ferret_dir/logs" "$ferret_dir/data"

die() { echo "stack: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required but not found on PATH: $2"; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka_libs() {
  local stamp=$kafka_dir/libs/.pom.sha256 sum
  sum=$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return; fi
  need java "install a Java 17+ JDK (e.g. apt-get install openjdk-17-jdk-headless)"
  need mvn "install Apache Maven (e.g. apt-get install maven)"
  echo "stack: resolving Kafka jars from Maven Central (cached in ~/.m2)..."
  rm -rf "$kafka_dir/libs"
  mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$kafka_dir/libs" >"$kafka_dir/logs/maven.log" 2>&1 \
    || { cat "$kafka_dir/logs/maven.log" >&2; die "Maven could not resolve the Kafka jars (see above)"; }
  echo "$sum" >"$stamp"
}

kafka_up() {
  if alive "$kafka_dir/pid"; then echo "stack: kafka already running (pid $(cat "$kafka_dir/pid"))"; return; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is in use by another process; set KAFKA_PORT"
  need java "install a Java 17+ JDK (e.g. apt-get install openjdk-17-jdk-headless)"
  kafka_libs
  local props=$kafka_dir/server.properties
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$kafka_dir/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  local cp="$kafka_dir/libs/*"
  local jopts=(-Xmx"$KAFKA_HEAP" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$kafka_dir/logs")
  if [ ! -f "$kafka_dir/data/meta.properties" ]; then
    java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone \
      --cluster-id="$(cat "$kafka_dir/cluster-id" 2>/dev/null || uuidgen_b64 | tee "$kafka_dir/cluster-id")" \
      -c "$props" >"$kafka_dir/logs/format.log" 2>&1 \
      || die "formatting Kafka storage failed; see $kafka_dir/logs/format.log"
  fi
  nohup java "${jopts[@]}" -cp "$cp" kafka.Kafka "$props" >"$kafka_dir/logs/stdout.log" 2>&1 &
  echo $! >"$kafka_dir/pid"
  echo "stack: kafka starting on 127.0.0.1:$KAFKA_PORT (logs in $kafka_dir/logs)"
}

# A KRaft cluster id: 16 random bytes, base64url. Like Kafka's own Uuid.randomUuid, never one that
# starts with '-' (the storage tool would read it as an option).
uuidgen_b64() {
  local id
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != "-" ] && break
  done
  printf '%s' "$id"
}

ferret_up() {
  if alive "$ferret_dir/pid"; then echo "stack: ferretdb already running (pid $(cat "$ferret_dir/pid"))"; return; fi
  port_open "$MONGO_PORT" && die "port $MONGO_PORT is in use by another process; set MONGO_PORT"
  local bin=$ferret_dir/ferretdb-local stamp=$ferret_dir/.src.sha256 sum
  sum=$(cat "$here"/ferretdb/*.go "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" | sha256sum | cut -d' ' -f1)
  # Built once per source on this machine, into the tool cache every checkout shares (deploy/local/tool.sh).
  local cached=${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trust-portal/tools}/ferretdb-$sum
  if [ ! -x "$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    if [ ! -x "$cached" ]; then
      need go "install Go 1.22+ (https://go.dev/doc/install or apt-get install golang)"
      echo "stack: building FerretDB v1 from the Go module proxy (once per machine)..."
      (cd "$here/ferretdb" && go build -o "$bin" .) || die "building FerretDB failed (see the output above)"
      mkdir -p "$(dirname "$cached")" && install -m 0755 "$bin" "$cached.$$" && mv "$cached.$$" "$cached"
    fi
    install -m 0755 "$cached" "$bin"
    echo "$sum" >"$stamp"
  fi
  nohup "$bin" -listen "127.0.0.1:$MONGO_PORT" -data "$ferret_dir/data" >"$ferret_dir/logs/ferretdb.log" 2>&1 &
  echo $! >"$ferret_dir/pid"
  echo "stack: ferretdb starting on 127.0.0.1:$MONGO_PORT (logs in $ferret_dir/logs)"
}

wait_ready() {
  local python=${PYTHON:-python3}
  "$python" "$here/wait_ready.py" --kafka "127.0.0.1:$KAFKA_PORT" --mongo "mongodb://127.0.0.1:$MONGO_PORT/" \
    --kafka-pid "$kafka_dir/pid" --mongo-pid "$ferret_dir/pid" --timeout "${STACK_TIMEOUT:-120}" \
    || { tail -n 20 "$kafka_dir/logs/stdout.log" "$kafka_dir/logs/server.log" "$ferret_dir/logs/ferretdb.log" >&2 2>/dev/null || true; exit 1; }
}

stop() {
  local name=$1 pidfile=$2
  if alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "stack: $name stopped"
  fi
  rm -f "$pidfile"
}

# Every missing tool is named before anything starts.
preflight() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=("java (a Java 17+ JDK, e.g. apt-get install openjdk-17-jdk-headless)")
  if [ ! -f "$kafka_dir/libs/.pom.sha256" ]; then
    command -v mvn >/dev/null 2>&1 || missing+=("mvn (Apache Maven, e.g. apt-get install maven)")
  fi
  if [ ! -x "$ferret_dir/ferretdb-local" ]; then
    command -v go >/dev/null 2>&1 || missing+=("go (Go 1.22+, https://go.dev/doc/install or apt-get install golang)")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'stack: missing on PATH: %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

case "${1:-}" in
  up) preflight; ferret_up; kafka_up; wait_ready ;;
  down) stop kafka "$kafka_dir/pid"; stop ferretdb "$ferret_dir/pid" ;;
  status)
    alive "$kafka_dir/pid" && echo "kafka: running (pid $(cat "$kafka_dir/pid"), 127.0.0.1:$KAFKA_PORT)" || echo "kafka: stopped"
    alive "$ferret_dir/pid" && echo "ferretdb: running (pid $(cat "$ferret_dir/pid"), 127.0.0.1:$MONGO_PORT)" || echo "ferretdb: stopped" ;;
  reset) "$0" down; rm -rf "$kafka_dir/data" "$ferret_dir/data"; echo "stack: data removed" ;;
  *) echo "usage: $0 up|down|status|reset" >&2; exit 2 ;;
esac
