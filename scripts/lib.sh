# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this file
# Shared by scripts/up.sh, scripts/down.sh and scripts/jaeger.sh: where the state lives, and
# how a process we started is recognised and stopped. Source it; it defines, it runs nothing.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${GRANTFLOW_RUN_DIR:-$ROOT/.run}
LOG_DIR=$RUN_DIR/logs
PID_DIR=$RUN_DIR/pids
BIN_DIR=${GRANTFLOW_BIN_DIR:-$ROOT/bin}

# The services in start order (audit and notification first: every other service delivers
# its events there), each with the default of its GRANTFLOW_<SERVICE>_ADDR (pkg/config). The
# gateway comes after them and is stopped first.
SERVICES=(audit notification identity policy request task review)
declare -A DEFAULT_ADDR=(
	[identity]=127.0.0.1:9091 [policy]=127.0.0.1:9092 [request]=127.0.0.1:9093
	[task]=127.0.0.1:9094 [audit]=127.0.0.1:9095 [review]=127.0.0.1:9096 [notification]=127.0.0.1:9097
)

# The services GRANTFLOW_REPLICAS (default 1) runs several processes of, behind the same
# database: replica 1 is named after the service and answers at its address; replica k > 1
# is named "<service>-k" and answers 100*(k-1) ports above (request-2: 127.0.0.1:9193), unless
# GRANTFLOW_<SERVICE>_ADDR lists the replicas' addresses itself (a,b,...). Every process is
# given the list (grpcclient balances over it).
REPLICATED=(request task audit)

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# addr_var identity -> GRANTFLOW_IDENTITY_ADDR
addr_var() { printf 'GRANTFLOW_%s_ADDR' "${1^^}"; }

# service_addr identity -> the value of GRANTFLOW_IDENTITY_ADDR, or its default: with
# replicas, every replica's address, comma-separated (replica_addrs).
service_addr() {
	replica_addrs "$1" | paste -sd, -
}

# replicas SERVICE -> how many processes of SERVICE run: GRANTFLOW_REPLICAS for the
# REPLICATED ones (or the length of a list in GRANTFLOW_<SERVICE>_ADDR), else 1.
replicas() {
	local v n=1
	v=$(addr_var "$1")
	if [[ ${!v:-} == *,* ]]; then
		IFS=, read -ra n <<<"${!v}"
		printf '%s' "${#n[@]}"
		return
	fi
	local r
	for r in "${REPLICATED[@]}"; do [[ $r == "$1" ]] && n=${GRANTFLOW_REPLICAS:-1}; done
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "GRANTFLOW_REPLICAS=$n: want a positive number"
	printf '%s' "$n"
}

# replica_addrs SERVICE: the address of each of its replicas, one a line.
replica_addrs() {
	local v base k n a
	v=$(addr_var "$1")
	if [[ ${!v:-} == *,* ]]; then
		IFS=, read -ra n <<<"${!v}"
		for a in "${n[@]}"; do printf '%s\n' "${a// /}"; done
		return
	fi
	base=${!v:-${DEFAULT_ADDR[$1]}}
	n=$(replicas "$1")
	for ((k = 0; k < n; k++)); do printf '%s:%d\n' "${base%:*}" $((${base##*:} + 100 * k)); done
}

# instances SERVICE: the process names of its replicas, one a line (request, request-2, ...).
instances() {
	local k n
	n=$(replicas "$1")
	printf '%s\n' "$1"
	for ((k = 2; k <= n; k++)); do printf '%s-%d\n' "$1" "$k"; done
}

# service_of NAME: the service a process name runs (request-2 -> request).
service_of() {
	if [[ $1 =~ ^(.*)-[0-9]+$ ]]; then printf '%s' "${BASH_REMATCH[1]}"; else printf '%s' "$1"; fi
}

# instance_addr NAME: where the process NAME answers gRPC (request-2 -> its replica's address).
instance_addr() {
	local svc k=1
	svc=$(service_of "$1")
	[[ $1 =~ -([0-9]+)$ ]] && k=${BASH_REMATCH[1]}
	replica_addrs "$svc" | sed -n "${k}p"
}

# cmd_dir identity -> services/identity/cmd/identity; gateway -> gateway/cmd/gateway.
cmd_dir() {
	if [[ $1 == gateway ]]; then
		printf 'gateway/cmd/gateway'
	else
		printf 'services/%s/cmd/%s' "$1" "$1"
	fi
}

# start_time PID: the process's start time in clock ticks since boot (field 22 of
# /proc/PID/stat), which together with the PID names one process even after the PID is
# reused. Empty where /proc is missing.
start_time() {
	local stat
	[[ -r /proc/$1/stat ]] || return 0
	stat=$(<"/proc/$1/stat") || return 0
	stat=${stat##*) } # fields after "(comm) ", comm may hold spaces
	# shellcheck disable=SC2086
	set -- $stat
	printf '%s' "${20}" # field 22 overall: 2 fields (pid, comm) were cut
}

# proc_alive PID: the process exists and is not a zombie awaiting its reaper.
proc_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[[ -r /proc/$1/stat ]] || return 0
	[[ $(awk '{sub(/.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# now_ms: milliseconds on the wall clock (bash 5's EPOCHREALTIME; SECONDS is too coarse for
# a deadline of a few seconds).
now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s' $((10#$t / 1000))
}

# write_pid NAME PID: record a process we started.
write_pid() {
	mkdir -p "$PID_DIR"
	printf '%s %s\n' "$2" "$(start_time "$2")" >"$PID_DIR/$1.pid"
}

# pid_of NAME: the PID in NAME's pid file if that very process is still alive (not a
# zombie, same start time), else nothing; exit status 0 only when alive.
pid_of() {
	local f=$PID_DIR/$1.pid pid started now
	[[ -f $f ]] || return 1
	read -r pid started <"$f" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	proc_alive "$pid" || return 1
	now=$(start_time "$pid")
	[[ -n $started && -n $now && $now != "$started" ]] && return 1
	printf '%s' "$pid"
}

# stop NAME...: SIGTERM to each live process named, wait for all of them up to
# GRANTFLOW_STOP_TIMEOUT seconds (default 20, above the services' own 15 s graceful stop),
# then SIGKILL whoever is left. Removes the pid files. Stopping what is not running is fine.
stop() {
	local name pid deadline left
	local -A pids=()
	for name in "$@"; do
		if pid=$(pid_of "$name"); then
			kill -TERM "$pid" 2>/dev/null && pids[$name]=$pid
		elif [[ -f $PID_DIR/$name.pid ]]; then
			say "  $name had already exited"
			rm -f "$PID_DIR/$name.pid"
		fi
	done
	((${#pids[@]})) || return 0
	deadline=$(($(now_ms) + ${GRANTFLOW_STOP_TIMEOUT:-20} * 1000))
	while (($(now_ms) < deadline)); do
		left=0
		for name in "${!pids[@]}"; do
			if pid_of "$name" >/dev/null; then left=1; else
				say "  stopped $name (pid ${pids[$name]})"
				rm -f "$PID_DIR/$name.pid"
				unset "pids[$name]"
			fi
		done
		((left)) || return 0
		sleep 0.1
	done
	for name in "${!pids[@]}"; do
		if pid=$(pid_of "$name"); then
			warn "  $name (pid $pid) did not stop within ${GRANTFLOW_STOP_TIMEOUT:-20}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		rm -f "$PID_DIR/$name.pid"
	done
	# SIGKILL cannot be refused: wait for the kernel to reap them (briefly).
	deadline=$(($(now_ms) + 5000))
	for name in "${!pids[@]}"; do
		while proc_alive "${pids[$name]}" && (($(now_ms) < deadline)); do
			sleep 0.1
		done
	done
}

# spawn NAME LOGFILE CMD...: start CMD in the background, in its own session when setsid
# exists (so the terminal's Ctrl-C or hang-up does not reach it), with stdin closed and
# stdout and stderr appended to LOGFILE; records the PID.
spawn() {
	local name=$1 logfile=$2
	shift 2
	mkdir -p "$(dirname "$logfile")"
	printf '\n==== %s: starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$logfile"
	if command -v setsid >/dev/null; then
		# No job control here, so the child is no process group leader and setsid execs
		# in place: $! is the program itself.
		setsid "$@" </dev/null >>"$logfile" 2>&1 &
	else
		nohup "$@" </dev/null >>"$logfile" 2>&1 &
	fi
	write_pid "$name" $!
}

# host_port ADDR -> "host port", with an empty host (":8080") read as 127.0.0.1.
host_port() {
	local host=${1%:*} port=${1##*:}
	host=${host#[}
	host=${host%]}
	[[ -z $host || $host == 0.0.0.0 ]] && host=127.0.0.1
	[[ $host == :: ]] && host=::1
	printf '%s %s' "$host" "$port"
}

# port_open ADDR: something accepts TCP connections at ADDR.
port_open() {
	local host port
	read -r host port <<<"$(host_port "$1")"
	(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# dial_addr ADDR: ADDR as a client should dial it (":8080" -> "127.0.0.1:8080").
dial_addr() {
	local host port
	read -r host port <<<"$(host_port "$1")"
	[[ $host == *:* ]] && host="[$host]"
	printf '%s:%s' "$host" "$port"
}
