#!/usr/bin/env bash
# make bench: every performance figure of issue 9 in one run, each beside its target.
#
#   1. Go benchmarks of the hot paths (the services' own, and bench/hotpath): policy
#      resolution, assignee resolution, authorization, authentication, the gateway inside
#      the all-in-one process, the inbox and the
#      request log (100,000 rows by default; BENCH_FULL=1 for 1,000,000: minutes of seeding),
#      audit appends and the verification of 1,000,000 events;
#   2. make up on the local PostgreSQL and Redis, in a state folder, database, Redis
#      database and ports of its own (so it never meets a developer's make up), with the
#      gateway's rate limit OFF (GRANTFLOW_RATE_LIMIT=0: the load comes from a few
#      principals, and 100 calls/s each would be the bottleneck);
#   3. an organization seeded through identity's API (loadgen seed);
#   4. the ceiling: pgbench, one INSERT per commit, on the same PostgreSQL server;
#   5. full lifecycles at saturation through REST and through gRPC (loadgen life, closed
#      loop), then REST at 70% of the REST saturation (open loop) for the submit p99;
#   6. the same read (GetRequest) through REST and gRPC, interleaved: the gateway's cost;
#   7. a CPU profile of every Grantflow process under load (perf, converted for go tool
#      pprof), if perf works here;
#   8. make down; the all-in-one process on PostgreSQL at saturation (REST);
#   9. make up with GRANTFLOW_REPLICAS=2 (two processes each of request, task and audit) at
#      saturation (REST), then loadgen replicas: advances lost or done twice, and the split of
#      the hops (calls served, events delivered) between the replicas;
#  10. the table: figure | measured | target | met?
#
# Settings (environment): BENCH_FULL=1 (1,000,000 tasks and requests in the query
# benchmarks), BENCH_CONCURRENCY [16] lifecycles in flight at saturation, BENCH_DURATION
# [20s] and BENCH_WARMUP [5s] per load run, BENCH_PROFILE [1] (0: no perf profile),
# BENCH_GO [1] (0: skip the Go benchmarks), BENCH_AIO [1] (0: skip the all-in-one run),
# BENCH_DISTRIBUTED [1] (0: skip make up and the runs against it, steps 2, 3 and 5-7; with
# BENCH_GO=0 BENCH_REPLICAS=0 only the ceiling and the all-in-one run are left, and that run
# builds grantflow itself and bootstraps an admin key of its own),
# BENCH_REPLICAS [1] (0: skip the run on two replicas of request, task and audit),
# BENCH_RATE70 (lifecycles started per second in the open-loop run instead of 70% of the
# REST saturation: to compare two builds at the same offered load),
# PGBENCH_CLIENTS ["4 16 64"], PGBENCH_TIME [8]
# seconds per client count, BENCH_OUT (output folder; default .run/bench-results/<time>),
# BENCH_HTTP_PORT [18080] and BENCH_GRPC_PORT_BASE [19090] (services on base+1..base+7),
# BENCH_DB [grantflow_bench] (dropped and created again: every run starts empty),
# BENCH_REDIS_DB [11] (flushed), GRANTFLOW_TEST_POSTGRES_URL / GRANTFLOW_TEST_REDIS_URL (the
# servers; defaults as make test's).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

say() { printf '%s\n' "$*"; }
step() { printf '\n==== %s: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/.run/bench-results/$STAMP}
FULL=${BENCH_FULL:-0}
if [[ $FULL == 1 ]]; then SIZE=1000000; else SIZE=100000; fi
TASKS=${GRANTFLOW_BENCH_TASKS:-$SIZE}
REQUESTS=${GRANTFLOW_BENCH_REQUESTS:-$SIZE}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-5s}
PROFILE=${BENCH_PROFILE:-1}
GO_BENCH=${BENCH_GO:-1}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-4 16 64}
PGBENCH_TIME=${PGBENCH_TIME:-8}
HTTP_PORT=${BENCH_HTTP_PORT:-18080}
PORT_BASE=${BENCH_GRPC_PORT_BASE:-19090}
DB=${BENCH_DB:-grantflow_bench}
REDIS_DB=${BENCH_REDIS_DB:-11}
PG_ADMIN=${GRANTFLOW_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_BASE=${GRANTFLOW_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

# The PostgreSQL URL of database $1 on the same server as PG_ADMIN.
pg_url() {
	local base=${PG_ADMIN%%\?*} query=
	[[ $PG_ADMIN == *\?* ]] && query="?${PG_ADMIN#*\?}"
	printf '%s/%s%s' "${base%/*}" "$1" "${query:-?sslmode=disable}"
}
BENCH_PG=$(pg_url "$DB")
CEILING_PG=$(pg_url "${DB}_ceiling")

mkdir -p "$OUT"
TOOLS=$OUT/bin
RUN=$ROOT/.run/bench
say "make bench: results in ${OUT#"$ROOT"/}/"

# --- preflight -------------------------------------------------------------------------
for tool in go psql pgbench; do
	command -v "$tool" >/dev/null || die "$tool is missing (Debian: postgresql-client for psql and pgbench)"
done
psql "$PG_ADMIN" -qAtc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL at $PG_ADMIN does not answer. Locally:
  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
redis_hostport=${REDIS_BASE#*://}
redis_hostport=${redis_hostport##*@}
redis_hostport=${redis_hostport%%/*}
(exec 3<>"/dev/tcp/${redis_hostport%:*}/${redis_hostport##*:}") 2>/dev/null || die "Redis at $redis_hostport does not answer. Locally:
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
REDIS_URL="${REDIS_BASE%/*}/$REDIS_DB"

step "building the harness (bench/cmd: loadgen, benchtable, perf2pprof)"
go build -o "$TOOLS/" ./bench/cmd/loadgen ./bench/cmd/benchtable ./bench/cmd/perf2pprof

cat >"$OUT/meta.json" <<EOF
{"tasks": $TASKS, "requests": $REQUESTS, "full": $([[ $TASKS -ge 1000000 && $REQUESTS -ge 1000000 ]] && echo true || echo false),
 "rateLimit": "0 (off)", "concurrency": $CONCURRENCY, "started": "$STAMP",
 "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')"}
EOF

# --- 1. Go benchmarks of the hot paths ----------------------------------------------------
GOBENCH=$OUT/gobench.txt
: >"$GOBENCH"
# gobench DIR PATTERN BENCHTIME PKG [ENV...]: one go test -bench, its figures to gobench.txt
# (and the screen), its logs and query plans to gobench.log. A failure is recorded, not fatal.
gobench() {
	local dir=$1 pattern=$2 benchtime=$3 pkg=$4 out=$OUT/gobench.part
	shift 4
	say "  $dir $pkg -bench $pattern -benchtime $benchtime${*:+ ($*)}"
	local ok=1
	(cd "$dir" && env "$@" go test -run '^$' -bench "$pattern" -benchtime "$benchtime" -benchmem -timeout 90m "$pkg") >"$out" 2>>"$OUT/gobench.log" || ok=0
	cat "$out" >>"$OUT/gobench.log"
	grep -E '^Benchmark' "$out" | tee -a "$GOBENCH" | sed 's/^/    /' || true
	if [[ $ok == 0 ]]; then
		say "    FAILED (see ${OUT#"$ROOT"/}/gobench.log)"
		echo "FAILED $dir $pkg $pattern" >>"$GOBENCH"
	fi
	rm -f "$out"
}
if [[ $GO_BENCH == 1 ]]; then
	step "Go benchmarks of the hot paths (inbox with $TASKS tasks, request log with $REQUESTS requests)"
	gobench pkg '^BenchmarkCheck$' 1s ./authz/
	gobench services/identity '^BenchmarkPrincipalLookupWarmCache$' 20000x .
	gobench cmd/grantflow '^BenchmarkGatewayOverhead$' 3000x .
	gobench gateway '^BenchmarkGatewayGetRequest$' 3000x .
	gobench services/request '^BenchmarkSubmitPostgres$' 300x . CI=true
	gobench cmd/grantflow '^BenchmarkSCIMCreateUsersWithManagers$' 1x . CI=true
	gobench services/policy '^BenchmarkResolve$' 5000x .
	gobench bench '^BenchmarkResolveAssignees$' 4000x ./hotpath/
	gobench services/audit '^BenchmarkDeliverEventsPostgres$' 3s .
	gobench services/notification '^BenchmarkFanOut$' 2000x .
	gobench services/audit '^BenchmarkVerify1M$' 3x ./internal/store/memory/
	gobench services/task '^BenchmarkInbox$' 2000x ./internal/store/postgres/ GRANTFLOW_BENCH_TASKS="$TASKS"
	gobench services/request '^BenchmarkRequestLog$' 2000x ./internal/store/postgres/ GRANTFLOW_BENCH_REQUESTS="$REQUESTS"
	gobench services/review '^BenchmarkLaunchPostgres$' 3x ./internal/app/ CI=true
	gobench services/review '^BenchmarkReviewerItemsPostgres$' 2000x ./internal/app/ CI=true
	gobench pkg '^BenchmarkFire1000Of100k$' 5x ./timer/pgtimer/
	gobench pkg '^BenchmarkPollIdle$' 2000x ./timer/pgtimer/
else
	say "BENCH_GO=0: Go benchmarks skipped"
fi

# --- 2. make up, on a database of its own -------------------------------------------------
export GRANTFLOW_RUN_DIR=$RUN GRANTFLOW_BIN_DIR=$RUN/bin
export GRANTFLOW_POSTGRES_URL=$BENCH_PG GRANTFLOW_REDIS_URL=$REDIS_URL
export GRANTFLOW_HTTP_ADDR=127.0.0.1:$HTTP_PORT
export GRANTFLOW_IDENTITY_ADDR=127.0.0.1:$((PORT_BASE + 1)) GRANTFLOW_POLICY_ADDR=127.0.0.1:$((PORT_BASE + 2))
export GRANTFLOW_REQUEST_ADDR=127.0.0.1:$((PORT_BASE + 3)) GRANTFLOW_TASK_ADDR=127.0.0.1:$((PORT_BASE + 4))
export GRANTFLOW_AUDIT_ADDR=127.0.0.1:$((PORT_BASE + 5)) GRANTFLOW_REVIEW_ADDR=127.0.0.1:$((PORT_BASE + 6))
export GRANTFLOW_NOTIFICATION_ADDR=127.0.0.1:$((PORT_BASE + 7))
export GRANTFLOW_RATE_LIMIT=0 # off for the run: see the header
# DEBUG logs every call a service serves (the calls between services are DEBUG records):
# loadgen -logs counts the gRPC calls per lifecycle from them. Their cost is in the CPU rows.
export GRANTFLOW_LOG_LEVEL=${GRANTFLOW_LOG_LEVEL:-debug}
REST=http://$GRANTFLOW_HTTP_ADDR

down() { make --no-print-directory down >>"$OUT/up.log" 2>&1 || true; }
redis_cmd() { # redis_cmd DB ARGS...: one RESP command over /dev/tcp (no redis-cli needed)
	local db=$1 arg
	shift
	exec 3<>"/dev/tcp/${redis_hostport%:*}/${redis_hostport##*:}"
	# shellcheck disable=SC2016 # RESP, not shell: the dollars are literal
	printf '*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n' "${#db}" "$db" >&3
	printf '*%d\r\n' "$#" >&3
	for arg in "$@"; do printf '$%d\r\n%s\r\n' "${#arg}" "$arg" >&3; done
	timeout 2 head -c 10 <&3 >/dev/null || true
	exec 3>&-
}
DISTRIBUTED=${BENCH_DISTRIBUTED:-1}
if [[ $DISTRIBUTED == 1 ]]; then
	if compgen -G "$RUN/pids/*.pid" >/dev/null; then
		step "stopping a bench deployment left from an earlier run"
		down
	fi
	trap 'step "make down"; down' EXIT

	step "make up: fresh database $DB, Redis database $REDIS_DB, gateway $REST, services on ports $((PORT_BASE + 1))-$((PORT_BASE + 7)), GRANTFLOW_RATE_LIMIT=0"
	psql "$PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
	redis_cmd "$REDIS_DB" FLUSHDB
	if ! make --no-print-directory up >>"$OUT/up.log" 2>&1; then
		tail -n 30 "$OUT/up.log" >&2
		die "make up failed (${OUT#"$ROOT"/}/up.log)"
	fi
	grep -A8 '^Grantflow is up' "$OUT/up.log" | sed 's/^/  /'
	ADMIN_KEY=$(sed -n 's/^GRANTFLOW_BOOTSTRAP_ADMIN_KEY=//p' "$RUN/secrets.env" | tail -n 1)
	[[ -n $ADMIN_KEY ]] || die "no bootstrap admin key in $RUN/secrets.env"
	LOADGEN=$TOOLS/loadgen
	COMMON=(-rest "$REST" -request "$GRANTFLOW_REQUEST_ADDR" -task "$GRANTFLOW_TASK_ADDR" -seed "$OUT/seed.json")
	LIFE=(-pg "$BENCH_PG" -pids "$RUN/pids" -logs "$RUN/logs")

	# --- 3. the organization --------------------------------------------------------------------
	step "seeding the organization through identity's gRPC API (as the bootstrap admin)"
	"$LOADGEN" seed -identity "$GRANTFLOW_IDENTITY_ADDR" -admin-key "$ADMIN_KEY" -requesters 400 -managers 20 -owners 20 -apps 100 -out "$OUT/seed.json" | sed 's/^/  /'
	"$LOADGEN" quiesce -pg "$BENCH_PG" # the onboarding events (a standalone task each) settle first
else
	step "BENCH_DISTRIBUTED=0: no make up; building grantflow into ${RUN#"$ROOT"/}/bin/ for the all-in-one run"
	mkdir -p "$RUN/bin"
	go build -o "$RUN/bin/" ./cmd/grantflow
	ADMIN_KEY=gf_bootstrap_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	LOADGEN=$TOOLS/loadgen
fi

# --- 4. the ceiling ----------------------------------------------------------------------------
step "the ceiling: pgbench, one INSERT per commit, same PostgreSQL server (clients: $PGBENCH_CLIENTS; ${PGBENCH_TIME}s each)"
psql "$PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS ${DB}_ceiling WITH (FORCE)" -c "CREATE DATABASE ${DB}_ceiling" >/dev/null
psql "$CEILING_PG" -qX -f bench/pgbench/setup.sql >/dev/null
: >"$OUT/pgbench.txt"
for c in $PGBENCH_CLIENTS; do
	pgbench -n -f bench/pgbench/insert.sql -c "$c" -j 2 -T "$PGBENCH_TIME" "$CEILING_PG" >>"$OUT/pgbench.txt" 2>&1 || true
	say "  $c clients: $(grep -E '^tps' "$OUT/pgbench.txt" | tail -n 1)"
done
psql "$PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS ${DB}_ceiling WITH (FORCE)" >/dev/null

if [[ $DISTRIBUTED == 1 ]]; then
	# --- 5. lifecycles ---------------------------------------------------------------------------
	step "saturation over REST: $CONCURRENCY lifecycles in flight, ${WARMUP} warm-up + ${DURATION}"
	"$LOADGEN" life -mode rest "${COMMON[@]}" "${LIFE[@]}" -concurrency "$CONCURRENCY" -warmup "$WARMUP" -duration "$DURATION" \
		-label saturation -json "$OUT/sat-rest.json" | tee "$OUT/sat-rest.txt" || true
	step "saturation over gRPC: $CONCURRENCY lifecycles in flight, ${WARMUP} warm-up + ${DURATION}"
	"$LOADGEN" life -mode grpc "${COMMON[@]}" "${LIFE[@]}" -concurrency "$CONCURRENCY" -warmup "$WARMUP" -duration "$DURATION" \
		-label saturation -json "$OUT/sat-grpc.json" | tee "$OUT/sat-grpc.txt" || true
	RATE70=${BENCH_RATE70:-$("$TOOLS/benchtable" -dir "$OUT" -rate70)}
	if [[ $RATE70 != 0 ]]; then
		step "REST at 70% of its saturation: $RATE70 lifecycles started per second (open loop)"
		"$LOADGEN" life -mode rest "${COMMON[@]}" "${LIFE[@]}" -rate "$RATE70" -warmup "$WARMUP" -duration "$DURATION" \
			-label "70% of saturation" -json "$OUT/rate70-rest.json" | tee "$OUT/rate70-rest.txt" || true
	else
		step "REST at 70% of saturation: skipped (no REST lifecycle completed at saturation)"
	fi

	# --- 6. the gateway's cost ---------------------------------------------------------------------
	step "the same read through the gateway and straight to the service"
	"$LOADGEN" read "${COMMON[@]}" -n 2000 -json "$OUT/read.json" | tee "$OUT/read.txt" || true

	# --- 7. a CPU profile under load -----------------------------------------------------------
	if [[ $PROFILE == 1 ]] && command -v perf >/dev/null && perf record -o /dev/null -- true >/dev/null 2>&1; then
		mode=rest
		[[ $RATE70 == 0 ]] && mode=grpc
		step "CPU profile of every process under load ($mode, $CONCURRENCY in flight; perf at 499 Hz for 12 s)"
		pids=$(for f in "$RUN"/pids/*.pid; do cut -d' ' -f1 "$f"; done | paste -sd, -)
		"$LOADGEN" life -mode "$mode" "${COMMON[@]}" -concurrency "$CONCURRENCY" -warmup 3s -duration 15s -label profiled \
			>"$OUT/profiled-run.txt" 2>&1 &
		lg=$!
		sleep 4
		perf record -F 499 -g -p "$pids" -o "$OUT/perf.data" -- sleep 12 >"$OUT/perf.log" 2>&1 || true
		wait "$lg" || true
		if perf script -i "$OUT/perf.data" -F comm,pid,tid,period,ip,sym,dso 2>>"$OUT/perf.log" | "$TOOLS/perf2pprof" -o "$OUT/cpu.pb.gz" 2>>"$OUT/perf.log"; then
			{
				echo "# go tool pprof -top -cum cpu.pb.gz (every Grantflow process; kernel time of system calls as \"[kernel] ...\")"
				go tool pprof -top -cum -nodecount 60 "$OUT/cpu.pb.gz" 2>/dev/null
				echo
				echo "# go tool pprof -top (flat) cpu.pb.gz"
				go tool pprof -top -nodecount 40 "$OUT/cpu.pb.gz" 2>/dev/null
				echo
				echo "# who makes the system calls: go tool pprof -peek 'entry_SYSCALL' cpu.pb.gz"
				go tool pprof -peek 'entry_SYSCALL' "$OUT/cpu.pb.gz" 2>/dev/null | sed -n '4,20p'
				for p in request task audit identity gateway policy; do
					echo
					echo "# $p: go tool pprof -top -cum -focus 'process $p' cpu.pb.gz"
					go tool pprof -top -cum -nodecount 45 -focus "process $p\$" "$OUT/cpu.pb.gz" 2>/dev/null | sed -n '5,$p'
				done
			} >"$OUT/profile-top.txt"
			say "  profile: ${OUT#"$ROOT"/}/cpu.pb.gz (go tool pprof -http=: ${OUT#"$ROOT"/}/cpu.pb.gz); top: ${OUT#"$ROOT"/}/profile-top.txt"
			grep -E 'process |\[kernel\]' "$OUT/profile-top.txt" | head -n 12 | sed 's/^/  /'
		else
			say "  perf produced no usable profile (${OUT#"$ROOT"/}/perf.log)"
		fi
	else
		step "CPU profile: skipped (BENCH_PROFILE=0, or perf missing or not permitted here)"
	fi

	# --- 8. down; the all-in-one process on PostgreSQL --------------------------------------------
	step "make down"
	trap - EXIT
	down
fi

if [[ ${BENCH_AIO:-1} == 1 ]]; then
	step "the all-in-one process (grantflow serve) on PostgreSQL: fresh database $DB, REST saturation"
	psql "$PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
	redis_cmd "$REDIS_DB" FLUSHDB
	AIO_PIDS=$OUT/aio-pids AIO_LOGS=$OUT/aio-logs
	mkdir -p "$AIO_PIDS" "$AIO_LOGS"
	env -u GRANTFLOW_IDENTITY_ADDR -u GRANTFLOW_POLICY_ADDR -u GRANTFLOW_REQUEST_ADDR -u GRANTFLOW_TASK_ADDR -u GRANTFLOW_AUDIT_ADDR -u GRANTFLOW_REVIEW_ADDR -u GRANTFLOW_NOTIFICATION_ADDR \
		GRANTFLOW_DEMO=0 GRANTFLOW_GRPC_ADDR=$GRANTFLOW_IDENTITY_ADDR GRANTFLOW_BOOTSTRAP_ADMIN_KEY=$ADMIN_KEY \
		GRANTFLOW_SECRETS_KEY="${GRANTFLOW_SECRETS_KEY:-$(head -c 32 /dev/urandom | base64 | tr -d '\n')}" \
		"$RUN/bin/grantflow" serve >"$AIO_LOGS/grantflow.log" 2>&1 &
	aio=$!
	echo "$aio $(cut -d' ' -f22 "/proc/$aio/stat")" >"$AIO_PIDS/grantflow.pid"
	trap 'kill "$aio" 2>/dev/null || true' EXIT
	for _ in $(seq 1 120); do
		curl -fsS "$REST/readyz" >/dev/null 2>&1 && break
		kill -0 "$aio" 2>/dev/null || break
		sleep 0.5
	done
	if curl -fsS "$REST/readyz" >/dev/null 2>&1; then
		AIO=(-rest "$REST" -request "$GRANTFLOW_IDENTITY_ADDR" -task "$GRANTFLOW_IDENTITY_ADDR" -seed "$OUT/seed-aio.json")
		"$LOADGEN" seed -identity "$GRANTFLOW_IDENTITY_ADDR" -admin-key "$ADMIN_KEY" -requesters 400 -managers 20 -owners 20 -apps 100 -out "$OUT/seed-aio.json" | sed 's/^/  /'
		"$LOADGEN" quiesce -pg "$BENCH_PG"
		"$LOADGEN" life -mode rest "${AIO[@]}" -pg "$BENCH_PG" -pids "$AIO_PIDS" -logs "$AIO_LOGS" -concurrency "$CONCURRENCY" -warmup "$WARMUP" -duration "$DURATION" \
			-label "saturation, all-in-one" -json "$OUT/sat-aio.json" | tee "$OUT/sat-aio.txt" || true
	else
		say "  the all-in-one process did not get ready (${OUT#"$ROOT"/}/aio-logs/grantflow.log)"
	fi
	kill "$aio" 2>/dev/null || true
	wait "$aio" 2>/dev/null || true
	trap - EXIT
fi

# --- 9. two replicas of request, task and audit -------------------------------------------------
if [[ ${BENCH_REPLICAS:-1} == 1 ]]; then
	step "two replicas of request, task and audit (make up with GRANTFLOW_REPLICAS=2): fresh database $DB, REST saturation, then lost/doubled advances and the split per replica"
	psql "$PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
	redis_cmd "$REDIS_DB" FLUSHDB
	trap 'step "make down"; down' EXIT
	if GRANTFLOW_REPLICAS=2 make --no-print-directory up >>"$OUT/up-replicas.log" 2>&1; then
		grep -A14 '^Grantflow is up' "$OUT/up-replicas.log" | sed 's/^/  /'
		# Where each replica serves its metrics (make up, deploy/cmd/gfops/up.go: replica 2 is 100 ports above
		# replica 1, metrics 1000 above the gRPC port).
		metrics=()
		for svc in request task audit; do
			var=GRANTFLOW_${svc^^}_ADDR
			port=${!var##*:}
			metrics+=("$svc=127.0.0.1:$((port + 1000))" "$svc-2=127.0.0.1:$((port + 1100))")
		done
		"$LOADGEN" seed -identity "$GRANTFLOW_IDENTITY_ADDR" -admin-key "$ADMIN_KEY" -requesters 400 -managers 20 -owners 20 -apps 100 -out "$OUT/seed-replicas.json" | sed 's/^/  /'
		"$LOADGEN" quiesce -pg "$BENCH_PG"
		"$LOADGEN" life -mode rest -rest "$REST" -request "$GRANTFLOW_REQUEST_ADDR" -task "$GRANTFLOW_TASK_ADDR" -seed "$OUT/seed-replicas.json" "${LIFE[@]}" \
			-concurrency "$CONCURRENCY" -warmup "$WARMUP" -duration "$DURATION" -label "saturation, two replicas" -json "$OUT/sat-replicas.json" | tee "$OUT/sat-replicas.txt" || true
		"$LOADGEN" replicas -pg "$BENCH_PG" -metrics "$(IFS=,; echo "${metrics[*]}")" -json "$OUT/replicas.json" | sed 's/^/  /' || true
	else
		tail -n 30 "$OUT/up-replicas.log" >&2
		say "  make up with GRANTFLOW_REPLICAS=2 failed (${OUT#"$ROOT"/}/up-replicas.log)"
	fi
	step "make down"
	trap - EXIT
	down
else
	step "two replicas: skipped (BENCH_REPLICAS=0)"
fi

# --- 10. the table ------------------------------------------------------------------------------
step "every figure beside its target (gateway rate limit off: GRANTFLOW_RATE_LIMIT=0; $CONCURRENCY lifecycles in flight at saturation)"
"$TOOLS/benchtable" -dir "$OUT" -md "$OUT/table.md" -json "$OUT/table.json"
say ""
say "Raw results: ${OUT#"$ROOT"/}/ (table.md, *.json, *.txt, gobench.txt, pgbench.txt, cpu.pb.gz)"
