// Command benchtable prints make bench's summary: every figure of issue 9 beside its
// target, from the files bench/scripts/bench.sh leaves in its output folder:
//
//	gobench.txt        go test -bench output of the hot paths
//	pgbench.txt        pgbench output of the one-insert-per-commit ceiling (one or more runs)
//	sat-rest.json      loadgen life, REST, closed loop (saturation)
//	sat-grpc.json      loadgen life, gRPC, closed loop (saturation)
//	rate70-rest.json   loadgen life, REST, open loop at 70% of the REST saturation
//	read.json          loadgen read (the same read through REST and gRPC)
//	meta.json          sizes the run used ({"tasks":..., "requests":..., ...})
//	replicas.json      loadgen replicas, after a REST load on two replicas of request, task
//	                   and audit (make up with GRANTFLOW_REPLICAS=2)
//
// A figure whose file is missing or failed is printed as "not measured" with the reason.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type stat struct {
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	PerSec float64 `json:"perSec"`
	P50    float64 `json:"p50Ms"`
	P95    float64 `json:"p95Ms"`
	P99    float64 `json:"p99Ms"`
}

type life struct {
	Mode        string                    `json:"mode"`
	Concurrency int                       `json:"concurrency"`
	Rate        float64                   `json:"rate"`
	Lifecycles  stat                      `json:"lifecycles"`
	Completed   int                       `json:"completed"`
	Failed      int                       `json:"failed"`
	Calls       map[string]stat           `json:"calls"`
	Errors      map[string]map[string]int `json:"errors"`
	CPU         map[string]float64        `json:"cpuMsPerLifecycle"`
	RPCs        map[string]float64        `json:"rpcsPerLifecycle"`
	Polls       float64                   `json:"pollsPerLifecycle"`
	DB          *struct {
		Lifecycles   int                `json:"lifecycles"`
		PerLifecycle map[string]float64 `json:"perLifecycle"`
		WAL          *struct {
			Commits int64  `json:"commits"`
			Err     string `json:"error"`
		} `json:"wal"`
	} `json:"db"`
}

type read struct {
	REST       stat    `json:"rest"`
	GRPC       stat    `json:"grpc"`
	GatewayP50 float64 `json:"gatewayP50Ms"`
	RESTError  string  `json:"restError"`
}

type meta struct {
	Tasks       int    `json:"tasks"`
	Requests    int    `json:"requests"`
	Full        bool   `json:"full"`
	RateLimit   string `json:"rateLimit"`
	Concurrency int    `json:"concurrency"`
	Notes       string `json:"notes"`
}

// row is one line of the table.
type row struct {
	Figure   string `json:"figure"`
	Measured string `json:"measured"`
	Target   string `json:"target"`
	Met      string `json:"met"` // yes, NO, "-" (no target), n/a (not measured)
}

func main() {
	dir := flag.String("dir", ".", "make bench's output folder")
	jsonOut := flag.String("json", "", "also write the rows as JSON here")
	mdOut := flag.String("md", "", "also write the table as Markdown here")
	rate70 := flag.Bool("rate70", false, "print only 70% of the REST saturation rate (lifecycles/s, from sat-rest.json; 0 if none)")
	flag.Parse()
	if *rate70 {
		var l life
		if load(*dir, "sat-rest.json", &l) != nil || l.Completed == 0 {
			fmt.Println(0)
			return
		}
		fmt.Printf("%.1f\n", math.Max(0.1, 0.7*l.Lifecycles.PerSec))
		return
	}
	rows := build(*dir)
	printTable(os.Stdout, rows)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rows, "", "  ")
		_ = os.WriteFile(*jsonOut, b, 0o644)
	}
	if *mdOut != "" {
		f, err := os.Create(*mdOut)
		if err == nil {
			markdown(f, rows)
			f.Close()
		}
	}
}

func load(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("%s missing", name)
	}
	return json.Unmarshal(b, v)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func build(dir string) []row {
	var rows []row
	add := func(figure, measured, target, met string) {
		rows = append(rows, row{figure, measured, target, met})
	}
	na := func(figure, target, why string) { add(figure, "not measured: "+why, target, "n/a") }
	var m meta
	_ = load(dir, "meta.json", &m)
	gb := parseGoBench(filepath.Join(dir, "gobench.txt"))
	ceiling, ceilErr := parsePgbench(filepath.Join(dir, "pgbench.txt"))

	// --- throughput against the PostgreSQL ceiling ----------------------------------
	if ceilErr != nil {
		na("PostgreSQL ceiling: pgbench, one INSERT per commit", "-", ceilErr.Error())
	} else {
		add("PostgreSQL ceiling: pgbench, one INSERT per commit", fmt.Sprintf("%.0f commits/s (best of %d client counts: %s)", ceiling.best, len(ceiling.runs), ceiling.describe()), "-", "-")
	}
	for _, mode := range []string{"rest", "grpc", "aio"} {
		name := strings.ToUpper(mode)
		if mode == "aio" {
			name = "REST, all-in-one process"
		}
		var l life
		err := load(dir, "sat-"+mode+".json", &l)
		if err == nil && l.Completed == 0 {
			err = fmt.Errorf("no lifecycle completed (%s)", firstError(l.Errors))
		}
		fig := fmt.Sprintf("lifecycles/s at saturation, %s", name)
		if err != nil {
			na(fig, ">= 15% of ceiling / commits per lifecycle", err.Error())
			continue
		}
		k := 0.0
		if l.DB != nil && l.DB.WAL != nil && l.DB.WAL.Err == "" && l.DB.Lifecycles > 0 {
			k = float64(l.DB.WAL.Commits) / float64(l.DB.Lifecycles)
		} else if l.DB != nil {
			k = l.DB.PerLifecycle["writeTransactions"]
		}
		add(fmt.Sprintf("write commits per lifecycle, %s (WAL, whole run)", name), fmt.Sprintf("%.1f", k), "<= 20", yes(k > 0 && k <= 20))
		add(fig+" (absolute)", fmt.Sprintf("%.1f/s (%d in flight; p50 %.0f ms, p99 %.0f ms per lifecycle)", l.Lifecycles.PerSec, l.Concurrency, l.Lifecycles.P50, l.Lifecycles.P99),
			"-", "-")
		if ceilErr == nil && k > 0 {
			need := 0.15 * ceiling.best / k
			add(fig+" vs the ceiling", fmt.Sprintf("%.1f/s = %.1f%% of %.0f/%.1f = %.0f/s", l.Lifecycles.PerSec, 100*l.Lifecycles.PerSec*k/ceiling.best, ceiling.best, k, ceiling.best/k),
				fmt.Sprintf(">= 15%% = %.1f/s", need), yes(l.Lifecycles.PerSec >= need))
		} else {
			na(fig+" vs the ceiling", ">= 15% of ceiling / commits per lifecycle", "ceiling or commits per lifecycle missing")
		}
		if t := l.CPU["total"]; t > 0 {
			add(fmt.Sprintf("CPU per lifecycle, %s (every process; postgresql: the bench database's backends, -bg: the server's own)", name),
				fmt.Sprintf("%.1f ms: %s", t, cpuParts(l.CPU)), "<= 35 ms", yes(t <= 35))
		}
		if len(l.RPCs) > 0 {
			total := 0.0
			for _, v := range l.RPCs {
				total += v
			}
			add(fmt.Sprintf("gRPC calls served per lifecycle, %s (the services' logs)", name), fmt.Sprintf("%.1f: %s", total, rpcParts(l.RPCs)), "<= 20", yes(total <= 20))
		}
		add(fmt.Sprintf("client polls per lifecycle, %s", name), fmt.Sprintf("%.1f", l.Polls), "0", yes(l.Polls == 0))
	}

	// --- REST submit at 70% of saturation -------------------------------------------
	var r70 life
	if err := load(dir, "rate70-rest.json", &r70); err != nil {
		na("REST submit p99 at 70% of saturation", "< 25 ms", err.Error())
	} else if s, ok := r70.Calls["submit"]; !ok || s.Count == s.Errors {
		na("REST submit p99 at 70% of saturation", "< 25 ms", "no successful submit ("+firstError(r70.Errors)+")")
	} else {
		add("REST submit p99 at 70% of saturation", fmt.Sprintf("%.1f ms (p50 %.1f ms; %.1f lifecycles/s offered, %.1f/s done)", s.P99, s.P50, r70.Rate, r70.Lifecycles.PerSec), "< 25 ms", yes(s.P99 < 25))
	}

	// --- gateway ---------------------------------------------------------------------
	var rd read
	if err := load(dir, "read.json", &rd); err != nil {
		na("gateway overhead at p50 (GetRequest, REST - gRPC, against make up)", "<= 0.5 ms", err.Error())
	} else if rd.RESTError != "" {
		na("gateway overhead at p50 (GetRequest, REST - gRPC, against make up)", "<= 0.5 ms", "REST failed: "+rd.RESTError+fmt.Sprintf(" (gRPC p50 %.3f ms)", rd.GRPC.P50))
	} else {
		add("gateway overhead at p50 (GetRequest, REST - gRPC, against make up)", fmt.Sprintf("%.3f ms (REST p50 %.3f, gRPC p50 %.3f)", rd.GatewayP50, rd.REST.P50, rd.GRPC.P50), "<= 0.5 ms", yes(rd.GatewayP50 <= 0.5))
	}

	if g, ok := gb["BenchmarkGatewayOverhead"]; ok {
		add("gateway overhead at p50, all-in-one process (GetRequest, Go benchmark of cmd/grantflow)", fmt.Sprintf("%.3f ms (REST p50 %.3f, gRPC p50 %.3f)",
			g["gateway-p50-µs"]/1000, g["rest-p50-µs"]/1000, g["grpc-p50-µs"]/1000), "<= 0.5 ms", yes(g["gateway-p50-µs"] <= 500))
	}

	if g, ok := gb["BenchmarkSCIMCreateUsersWithManagers"]; ok {
		add("SCIM: 1,000 user creates with managers (userName lookup + POST each, 8 connections, PostgreSQL, all-in-one)",
			fmt.Sprintf("%.1f s", g["s/1000-creates"]), "< 20 s", yes(g["s/1000-creates"] < 20))
	} else {
		na("SCIM: 1,000 user creates with managers", "< 20 s", "BenchmarkSCIMCreateUsersWithManagers missing from gobench.txt")
	}

	// --- Go benchmarks of the hot paths ---------------------------------------------
	worst := func(names []string, unit string) (float64, string, bool) {
		v, which, ok := -1.0, "", false
		for _, n := range names {
			if x, found := gb[n][unit]; found {
				ok = true
				if x > v {
					v, which = x, n
				}
			}
		}
		return v, which, ok
	}
	if v, _, ok := worst([]string{"BenchmarkResolve/postgres/serial", "BenchmarkResolve/postgres/parallel"}, "p99-ms"); ok {
		add("policy resolution p99 (50,000 policies, PostgreSQL, serial and parallel)", fmt.Sprintf("%.2f ms (serial %.2f, parallel %.2f; memory engine %.2f)", v,
			gb["BenchmarkResolve/postgres/serial"]["p99-ms"], gb["BenchmarkResolve/postgres/parallel"]["p99-ms"], gb["BenchmarkResolve/memory/serial"]["p99-ms"]), "< 5 ms", yes(v < 5))
	} else {
		na("policy resolution p99", "< 5 ms", "BenchmarkResolve missing from gobench.txt")
	}
	if _, _, ok := worst([]string{"BenchmarkResolveAssignees/store"}, "p99-ms"); ok {
		add("assignee resolution p99 (2,000 people, PostgreSQL; store / Redis hit)", fmt.Sprintf("%.2f ms / %.2f ms (p50 %.2f / %.2f)",
			gb["BenchmarkResolveAssignees/store"]["p99-ms"], gb["BenchmarkResolveAssignees/redis"]["p99-ms"],
			gb["BenchmarkResolveAssignees/store"]["p50-ms"], gb["BenchmarkResolveAssignees/redis"]["p50-ms"]), "-", "-")
	} else {
		na("assignee resolution p99", "-", "BenchmarkResolveAssignees missing")
	}
	if v, ok := gb["BenchmarkCheck"]["ns/op"]; ok {
		add("authorization: one permissions-matrix decision", fmt.Sprintf("%.0f ns, %.0f allocations", v, gb["BenchmarkCheck"]["allocs/op"]), "-", "-")
	} else {
		na("authorization: one permissions-matrix decision", "-", "BenchmarkCheck missing")
	}
	if v, ok := gb["BenchmarkPrincipalLookupWarmCache"]["p99-µs"]; ok {
		add("authentication: principal from an API key, Redis warm, p99", fmt.Sprintf("%.0f µs", v), "-", "-")
	}
	size := func(n int, full bool) string {
		s := fmt.Sprintf("%d", n)
		if n == 0 {
			s = "?"
		}
		if !full {
			s += ", not 1,000,000: BENCH_FULL=1 for that"
		}
		return s
	}
	if v, which, ok := worst([]string{"BenchmarkInbox"}, "typical-p99-µs"); ok {
		a := gb[which]["admin-p99-µs"]
		w := math.Max(v, a)
		add(fmt.Sprintf("inbox query p99 (tasks stored: %s)", size(m.Tasks, m.Full)), fmt.Sprintf("%.2f ms (typical person %.2f, admin on 10%% of tasks %.2f)", w/1000, v/1000, a/1000), "< 10 ms", yes(w < 10000))
	} else {
		na("inbox query p99", "< 10 ms", "BenchmarkInbox missing")
	}
	if _, _, ok := worst([]string{"BenchmarkRequestLog"}, "user-log-p99-µs"); ok {
		g := gb["BenchmarkRequestLog"]
		w := math.Max(g["user-log-p99-µs"], math.Max(g["admin-status-p99-µs"], g["owner-log-p99-µs"]))
		add(fmt.Sprintf("request-log query p99 (requests stored: %s)", size(m.Requests, m.Full)),
			fmt.Sprintf("%.2f ms (user %.2f, admin by status %.2f, heaviest owner %.2f; get %.2f)", w/1000, g["user-log-p99-µs"]/1000, g["admin-status-p99-µs"]/1000, g["owner-log-p99-µs"]/1000, g["get-p99-µs"]/1000),
			"< 10 ms", yes(w < 10000))
	} else {
		na("request-log query p99", "< 10 ms", "BenchmarkRequestLog missing")
	}
	if v, ok := gb["BenchmarkDeliverEventsPostgres/batch=100"]["events/s"]; ok {
		add("audit appends/s (DeliverEvents into PostgreSQL, batch of 100 = the relays' batch)", fmt.Sprintf("%.0f/s (batch of 1: %.0f/s; of 1,000: %.0f/s)", v,
			gb["BenchmarkDeliverEventsPostgres/batch=1"]["events/s"], gb["BenchmarkDeliverEventsPostgres/batch=1000"]["events/s"]), ">= 1,000/s", yes(v >= 1000))
	} else {
		na("audit appends/s", ">= 1,000/s", "BenchmarkDeliverEventsPostgres missing")
	}
	if v, ok := gb["BenchmarkFanOut"]["deliveries/s"]; ok {
		add("webhook fan-out to a local receiver, 10 subscriptions (signed, recorded)", fmt.Sprintf("%.0f deliveries/s", v), ">= 1,000/s", yes(v >= 1000))
	} else {
		na("webhook fan-out, 10 subscriptions", ">= 1,000/s", "BenchmarkFanOut missing")
	}
	if v, ok := gb["BenchmarkVerify1M"]["s/verify"]; ok {
		add("verification of 1,000,000 audit events (full walk, 1,000 checkpoints)", fmt.Sprintf("%.2f s (%.0f events/s)", v, gb["BenchmarkVerify1M"]["events/s"]), "< 3 s", yes(v < 3))
	} else {
		na("verification of 1,000,000 audit events", "< 3 s", "BenchmarkVerify1M missing")
	}
	if v, ok := gb["BenchmarkFire1000Of100k"]["s/1000-fired"]; ok {
		add("timers: firing 1,000 due in one second, 100,000 pending (PostgreSQL)", fmt.Sprintf("%.3f s", v), "< 2 s", yes(v < 2))
	} else {
		na("timers: firing 1,000 due, 100,000 pending", "< 2 s", "BenchmarkFire1000Of100k missing")
	}
	if v, ok := gb["BenchmarkPollIdle"]["db-ms/poll"]; ok {
		add("timers: a poll with nothing due, 100,000 pending (database time)", fmt.Sprintf("%.3f ms (wall, with the transaction's round trips: %.2f ms)", v, gb["BenchmarkPollIdle"]["ms/poll"]), "< 1 ms", yes(v < 1))
	} else {
		na("timers: an idle poll's database time", "< 1 ms", "BenchmarkPollIdle missing")
	}
	rows = append(rows, replicaRows(dir)...)
	return rows
}

// replicasReport is loadgen replicas' report (replicas.json).
type replicasReport struct {
	Lost      int64 `json:"lost"`
	Doubled   int64 `json:"doubled"`
	Processes []struct {
		Name      string  `json:"name"`
		Service   string  `json:"service"`
		Served    float64 `json:"served"`
		Delivered float64 `json:"delivered"`
	} `json:"processes"`
}

// replicaRows are the rows of the run on two replicas: advances lost or done twice, and per
// replicated service the split of its hops (gRPC calls served plus outbox events delivered)
// between its processes, each of which must do at least 30%.
func replicaRows(dir string) []row {
	var r replicasReport
	if err := load(dir, "replicas.json", &r); err != nil {
		return []row{{"two replicas: lost / doubled advances", "not measured: " + err.Error(), "none", "n/a"}}
	}
	rows := []row{{"two replicas: lost / doubled advances", fmt.Sprintf("%d / %d", r.Lost, r.Doubled), "none", yes(r.Lost == 0 && r.Doubled == 0)}}
	var services []string
	hops := map[string][]float64{}
	detail := map[string][]string{}
	for _, p := range r.Processes {
		if _, ok := hops[p.Service]; !ok {
			services = append(services, p.Service)
		}
		hops[p.Service] = append(hops[p.Service], p.Served+p.Delivered)
		detail[p.Service] = append(detail[p.Service], fmt.Sprintf("%s %.0f calls + %.0f events", p.Name, p.Served, p.Delivered))
	}
	for _, svc := range services {
		var total float64
		for _, h := range hops[svc] {
			total += h
		}
		var shares []string
		ok := len(hops[svc]) > 1 && total > 0
		for _, h := range hops[svc] {
			share := 0.0
			if total > 0 {
				share = 100 * h / total
			}
			ok = ok && share >= 30
			shares = append(shares, fmt.Sprintf("%.0f%%", share))
		}
		rows = append(rows, row{"two replicas: " + svc + "'s hops per replica (calls served + events delivered)",
			strings.Join(shares, " / ") + " (" + strings.Join(detail[svc], "; ") + ")", ">= 30% each", yes(ok)})
	}
	return rows
}

// rpcParts lists the calls per lifecycle by method, most first (those under 0.05 left out).
func rpcParts(c map[string]float64) string {
	names := make([]string, 0, len(c))
	for n, v := range c {
		if v >= 0.05 {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		return c[names[i]] > c[names[j]] || c[names[i]] == c[names[j]] && names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.1f", n, c[n]))
	}
	return strings.Join(parts, ", ")
}

func cpuParts(c map[string]float64) string {
	var parts []string
	for _, n := range []string{"postgresql", "postgresql-bg", "grantflow", "request", "task", "audit", "notification", "identity", "gateway", "policy", "review", "loadgen"} {
		if v, ok := c[n]; ok && v >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.1f", n, v))
		}
	}
	return strings.Join(parts, ", ")
}

func firstError(errs map[string]map[string]int) string {
	for call, m := range errs {
		for msg := range m {
			return call + ": " + msg
		}
	}
	return "no error recorded"
}

// parseGoBench reads go test -bench lines: name -> unit -> value (the -N GOMAXPROCS suffix
// dropped).
func parseGoBench(path string) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	suffix := regexp.MustCompile(`-\d+$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		name := suffix.ReplaceAllString(fields[0], "")
		m := map[string]float64{}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			m[fields[i+1]] = v
		}
		out[name] = m
	}
	return out
}

type pgbenchRun struct {
	clients int
	tps     float64
}

type pgbenchResult struct {
	runs []pgbenchRun
	best float64
}

func (p pgbenchResult) describe() string {
	var parts []string
	for _, r := range p.runs {
		parts = append(parts, fmt.Sprintf("%d clients %.0f", r.clients, r.tps))
	}
	return strings.Join(parts, ", ")
}

// parsePgbench reads pgbench outputs: "number of clients: N" and "tps = X (without ...)".
func parsePgbench(path string) (pgbenchResult, error) {
	var res pgbenchResult
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("pgbench.txt missing")
	}
	defer f.Close()
	clients := regexp.MustCompile(`number of clients: (\d+)`)
	tps := regexp.MustCompile(`tps = ([0-9.]+) \(without`)
	sc := bufio.NewScanner(f)
	c := 0
	for sc.Scan() {
		if m := clients.FindStringSubmatch(sc.Text()); m != nil {
			c, _ = strconv.Atoi(m[1])
		}
		if m := tps.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			res.runs = append(res.runs, pgbenchRun{c, v})
			res.best = math.Max(res.best, v)
		}
	}
	if len(res.runs) == 0 {
		return res, fmt.Errorf("no tps in pgbench.txt")
	}
	return res, nil
}

func printTable(w io.Writer, rows []row) {
	wf, wm, wt := len("figure"), len("measured"), len("target")
	for _, r := range rows {
		wf, wm, wt = max(wf, len(r.Figure)), max(wm, len(r.Measured)), max(wt, len(r.Target))
	}
	line := func(a, b, c, d string) { fmt.Fprintf(w, "| %-*s | %-*s | %-*s | %-4s |\n", wf, a, wm, b, wt, c, d) }
	line("figure", "measured", "target", "met?")
	fmt.Fprintf(w, "|%s|%s|%s|%s|\n", strings.Repeat("-", wf+2), strings.Repeat("-", wm+2), strings.Repeat("-", wt+2), strings.Repeat("-", 6))
	for _, r := range rows {
		line(r.Figure, r.Measured, r.Target, r.Met)
	}
}

func markdown(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| figure | measured | target | met? |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Figure, r.Measured, r.Target, r.Met)
	}
}
