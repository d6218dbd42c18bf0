#!/usr/bin/env bash
# A local Jaeger v2 (traces in memory, every port on 127.0.0.1), run as a plain process:
# there is no Docker engine on the project's machines. Jaeger is built once from its Go
# module (go install refuses it because of a replace directive, so a copy of the module is
# built) into bin/jaeger; that takes a few minutes the first time.
#
#   scripts/jaeger.sh up      build if needed, start, wait until it answers (make jaeger)
#   scripts/jaeger.sh down    stop it (make jaeger-down)
#   scripts/jaeger.sh build   only build bin/jaeger
#   scripts/jaeger.sh status
#
# Settings: JAEGER_VERSION (Go module version, default v1.76.0, which is Jaeger v2),
# GRANTFLOW_JAEGER_WAIT (seconds to wait for it to answer, default 60).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${GRANTFLOW_RUN_DIR:-$ROOT/.run}
LOG_DIR=$RUN_DIR/logs
BIN_DIR=${GRANTFLOW_BIN_DIR:-$ROOT/bin}
say() { printf '%s\n' "$*"; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}
# Jaeger runs as make up's processes do, through gfops (pkg/procrun): detached, its PID in
# the state folder, stopped with SIGTERM then SIGKILL.
GFOPS=$BIN_DIR/gfops
build_gfops() { (cd "$ROOT" && go build -o "$GFOPS" ./deploy/cmd/gfops); } # never an older one
gfops() { "$GFOPS" "$@"; }
pid_of() { gfops pid "$1" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

JAEGER_VERSION=${JAEGER_VERSION:-v1.76.0}
JAEGER_BIN=$BIN_DIR/jaeger
JAEGER_CONFIG=$ROOT/deploy/jaeger/local.yaml
JAEGER_LOG=$LOG_DIR/jaeger.log
QUERY=http://127.0.0.1:16686

build() {
	if [[ -x $JAEGER_BIN && "$(cat "$BIN_DIR/.jaeger.version" 2>/dev/null)" == "$JAEGER_VERSION" ]]; then
		return 0
	fi
	say "building Jaeger (github.com/jaegertracing/jaeger@$JAEGER_VERSION ./cmd/jaeger) into $JAEGER_BIN: a few minutes the first time..."
	local tmp moddir src
	tmp=$(mktemp -d)
	# Outside any module or workspace, so only the Jaeger module is resolved.
	moddir=$(cd "$tmp" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	rmdir "$tmp"
	[[ -n $moddir && -d $moddir ]] || die "could not download github.com/jaegertracing/jaeger@$JAEGER_VERSION"
	src=$RUN_DIR/build/jaeger-$JAEGER_VERSION
	rm -rf "$src"
	mkdir -p "$src" "$BIN_DIR"
	cp -R "$moddir/." "$src/"
	chmod -R u+w "$src"
	(cd "$src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$JAEGER_BIN.tmp" ./cmd/jaeger)
	mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
	printf '%s\n' "$JAEGER_VERSION" >"$BIN_DIR/.jaeger.version"
	rm -rf "$src"
	rmdir "$RUN_DIR/build" 2>/dev/null || true
	say "built $JAEGER_BIN"
}

instructions() {
	cat <<EOF
Jaeger is up (pid $1), log: ${JAEGER_LOG#"$ROOT"/}
  OTLP gRPC in:  127.0.0.1:4317   (OTLP HTTP: 127.0.0.1:4318)
  query API:     $QUERY/api/services
                 $QUERY/api/traces?service=grantflow-gateway&limit=20
  (the web UI is not part of the Go build: use the JSON API above)
Send Grantflow's traces there:
  export OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317
  make down; make up        # or: make run
Stop it with: make jaeger-down
EOF
}

up() {
	local pid
	if pid=$(pid_of jaeger); then
		say "Jaeger is already running."
		instructions "$pid"
		return 0
	fi
	build
	for addr in 127.0.0.1:4317 127.0.0.1:4318 127.0.0.1:16686 127.0.0.1:13133; do
		port_open "$addr" && die "$addr is already taken by another process (another Jaeger or collector?)"
	done
	gfops start jaeger "$JAEGER_BIN" --config "$JAEGER_CONFIG"
	local deadline=$((SECONDS + ${GRANTFLOW_JAEGER_WAIT:-60}))
	while ! curl -fsS -o /dev/null "$QUERY/api/services" 2>/dev/null; do
		if ! pid_of jaeger >/dev/null; then
			tail -n 30 "$JAEGER_LOG" >&2
			gfops stop jaeger
			die "Jaeger exited during start (log above: $JAEGER_LOG)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 30 "$JAEGER_LOG" >&2
			gfops stop jaeger
			die "Jaeger did not answer on $QUERY within ${GRANTFLOW_JAEGER_WAIT:-60}s"
		fi
		sleep 0.2
	done
	instructions "$(pid_of jaeger)"
}

case ${1:-up} in
up | down | status) build_gfops ;;
esac
case ${1:-up} in
build) build ;;
up) up ;;
down)
	if pid_of jaeger >/dev/null; then gfops stop jaeger; else say "Jaeger is not running."; fi
	;;
status)
	if pid=$(pid_of jaeger); then say "Jaeger is running (pid $pid)"; else
		say "Jaeger is not running"
		exit 3
	fi
	;;
*) die "usage: $0 up|down|build|status" ;;
esac
