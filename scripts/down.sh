#!/usr/bin/env bash
# make down: stop every process make up started (read from .run/pids/): the gateway first,
# then all services together. Each gets SIGTERM and GRANTFLOW_STOP_TIMEOUT seconds (default
# 20) to stop gracefully, then SIGKILL. Idempotent: with nothing running it says so.
# Leaves .run/ (secrets, logs) and the database alone; Jaeger has its own make jaeger-down.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Everything with a pid file, known names or not (a service added later), but Jaeger.
names=()
for f in "$PID_DIR"/*.pid; do
	[[ -e $f ]] || continue
	name=$(basename "$f" .pid)
	[[ $name == jaeger ]] || names+=("$name")
done
if ((${#names[@]} == 0)); then
	say "Grantflow is not running (no pid files in ${PID_DIR#"$ROOT"/})."
	exit 0
fi
alive=()
declare -A pids=()
for name in "${names[@]}"; do
	if pid=$(pid_of "$name"); then
		alive+=("$name")
		pids[$name]=$pid
	else
		rm -f "$PID_DIR/$name.pid"
	fi
done
if ((${#alive[@]} == 0)); then
	say "Grantflow is not running (stale pid files removed)."
	exit 0
fi

say "stopping Grantflow..."
services=()
for name in "${alive[@]}"; do [[ $name == gateway ]] || services+=("$name"); done
if [[ " ${alive[*]} " == *" gateway "* ]]; then stop gateway; fi
stop "${services[@]}"

# The pid files are gone now: check the very PIDs (a zombie awaiting its reaper is dead).
left=()
for name in "${alive[@]}"; do
	pid=${pids[$name]}
	if proc_alive "$pid"; then
		left+=("$name ($pid)")
	fi
done
((${#left[@]} == 0)) || die "still running: ${left[*]}"
say "Grantflow is down (logs kept in ${LOG_DIR#"$ROOT"/})."
