package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// services are make up's services in start order (audit and notification first: every other
// service delivers its events there), each with the default of its GRANTFLOW_<SERVICE>_ADDR
// (pkg/config). The gateway comes after them and is stopped first. Adding a service to make
// up is one entry here.
var services = []struct{ name, addr string }{
	{"audit", "127.0.0.1:9095"},
	{"notification", "127.0.0.1:9097"},
	{"identity", "127.0.0.1:9091"},
	{"policy", "127.0.0.1:9092"},
	{"request", "127.0.0.1:9093"},
	{"task", "127.0.0.1:9094"},
	{"review", "127.0.0.1:9096"},
}

// replicated are the services GRANTFLOW_REPLICAS (default 1) runs several processes of,
// behind the same database: replica 1 is named after the service and answers at its
// address; replica k > 1 is named "<service>-k" and answers 100*(k-1) ports above
// (request-2: 127.0.0.1:9193), unless GRANTFLOW_<SERVICE>_ADDR lists the replicas' addresses
// itself (a,b,...). Every process is given the list (grpcclient balances over it).
var replicated = map[string]bool{"request": true, "task": true, "audit": true}

const gateway = "gateway"

// state is where make up keeps its state (GRANTFLOW_RUN_DIR, default .run/ of the
// repository) and its binaries (GRANTFLOW_BIN_DIR, default bin/).
type state struct {
	root, run, logs, pids, bin string
	out, errOut                io.Writer
}

func newState(out, errOut io.Writer) (*state, error) {
	root, err := procrun.Root()
	if err != nil {
		return nil, err
	}
	s := &state{root: root, run: envOr("GRANTFLOW_RUN_DIR", filepath.Join(root, ".run")), out: out, errOut: errOut}
	s.bin = envOr("GRANTFLOW_BIN_DIR", filepath.Join(root, "bin"))
	s.logs, s.pids = filepath.Join(s.run, "logs"), filepath.Join(s.run, "pids")
	return s, nil
}

func (s *state) say(format string, a ...any)  { fmt.Fprintf(s.out, format+"\n", a...) }
func (s *state) warn(format string, a ...any) { fmt.Fprintf(s.errOut, format+"\n", a...) }

// rel is path relative to the repository when inside it (for messages).
func (s *state) rel(path string) string {
	if r, err := filepath.Rel(s.root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func (s *state) pidFile(name string) string { return filepath.Join(s.pids, name+".pid") }
func (s *state) logFile(name string) string { return filepath.Join(s.logs, name+".log") }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// environ is the environment the processes get: the caller's, with make up's settings.
type environ map[string]string

func currentEnviron() environ {
	e := environ{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e[k] = v
		}
	}
	return e
}

func (e environ) with(kv ...string) []string {
	m := make(map[string]string, len(e)+len(kv)/2)
	for k, v := range e {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// topology is which processes make up runs and where they answer.
type topology struct {
	httpAddr string
	active   []string            // services with Go code in their cmd folder
	addrs    map[string][]string // service -> its replicas' addresses
}

func addrVar(svc string) string { return "GRANTFLOW_" + strings.ToUpper(svc) + "_ADDR" }

// replicaAddrs is where each replica of svc answers (see replicated).
func replicaAddrs(svc, configured, def string, replicas int) ([]string, error) {
	if strings.Contains(configured, ",") {
		var out []string
		for _, a := range strings.Split(configured, ",") {
			out = append(out, strings.ReplaceAll(a, " ", ""))
		}
		return out, nil
	}
	base := configured
	if base == "" {
		base = def
	}
	n := 1
	if replicated[svc] {
		n = replicas
	}
	host, port, err := net.SplitHostPort(base)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %v", addrVar(svc), base, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: port %q", addrVar(svc), base, port)
	}
	out := make([]string, n)
	for k := range n {
		out[k] = net.JoinHostPort(host, strconv.Itoa(p+100*k))
	}
	return out, nil
}

// instances are the process names of svc's replicas: request, request-2, ...
func (t *topology) instances(svc string) []string {
	out := []string{svc}
	for k := 2; k <= len(t.addrs[svc]); k++ {
		out = append(out, svc+"-"+strconv.Itoa(k))
	}
	return out
}

// serviceOf is the service a process name runs (request-2 -> request), and its replica.
func serviceOf(name string) (string, int) {
	if i := strings.LastIndex(name, "-"); i > 0 {
		if k, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i], k
		}
	}
	return name, 1
}

// addrOf is where the process name answers: gRPC for a service's replica, REST for the gateway.
func (t *topology) addrOf(name string) string {
	if name == gateway {
		return t.httpAddr
	}
	svc, k := serviceOf(name)
	return t.addrs[svc][k-1]
}

// metricsAddr is where name serves GET /metrics: 1000 above its port, on loopback.
func (t *topology) metricsAddr(name string) string {
	_, port, _ := net.SplitHostPort(t.addrOf(name))
	p, _ := strconv.Atoi(port)
	return "127.0.0.1:" + strconv.Itoa(p+1000)
}

// dialAddr is addr as a client dials it (":8080" -> "127.0.0.1:8080").
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// portOpen reports whether something accepts TCP connections at addr.
func portOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", dialAddr(addr), time.Second)
	if err == nil {
		_ = c.Close()
	}
	return err == nil
}

func cmdDir(svc string) string {
	if svc == gateway {
		return "gateway/cmd/gateway"
	}
	return "services/" + svc + "/cmd/" + svc
}

// up is make up: build, create the database if missing, migrate, start every service as
// its own detached process and then the gateway, wait until all are ready, seed the demo
// organization once, and say where everything is. docs/DEPLOY.md describes it.
func up(out, errOut io.Writer) error {
	s, err := newState(out, errOut)
	if err != nil {
		return err
	}
	env := currentEnviron()
	setEnv := func(k, v string) { env[k] = v }
	setEnv("GRANTFLOW_POSTGRES_URL", envOr("GRANTFLOW_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/grantflow?sslmode=disable"))
	setEnv("GRANTFLOW_REDIS_URL", envOr("GRANTFLOW_REDIS_URL", "redis://127.0.0.1:6379/0"))
	setEnv("GRANTFLOW_HTTP_ADDR", envOr("GRANTFLOW_HTTP_ADDR", ":8080"))
	replicas, err := strconv.Atoi(envOr("GRANTFLOW_REPLICAS", "1"))
	if err != nil || replicas < 1 || replicas > 99 {
		return fmt.Errorf("GRANTFLOW_REPLICAS=%s: want a number of processes, 1 to 99", os.Getenv("GRANTFLOW_REPLICAS"))
	}
	t := &topology{httpAddr: env["GRANTFLOW_HTTP_ADDR"], addrs: map[string][]string{}}
	for _, svc := range services {
		if t.addrs[svc.name], err = replicaAddrs(svc.name, os.Getenv(addrVar(svc.name)), svc.addr, replicas); err != nil {
			return err
		}
		setEnv(addrVar(svc.name), strings.Join(t.addrs[svc.name], ","))
	}
	wait, err := strconv.Atoi(envOr("GRANTFLOW_UP_WAIT", "60"))
	if err != nil || wait < 1 {
		return fmt.Errorf("GRANTFLOW_UP_WAIT=%s: want seconds", os.Getenv("GRANTFLOW_UP_WAIT"))
	}
	metrics := os.Getenv("GRANTFLOW_UP_METRICS") != "0"
	gatewayURL := "http://" + dialAddr(t.httpAddr)
	for _, d := range []string{s.logs, s.pids} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(s.run, 0o700); err != nil {
		return err
	}

	// Which services exist; their processes (several of the replicated ones).
	var skipped, instances []string
	for _, svc := range services {
		if files, _ := filepath.Glob(filepath.Join(s.root, cmdDir(svc.name), "*.go")); len(files) == 0 {
			s.say("notice: %s has no Go files: the %s service is skipped", cmdDir(svc.name), svc.name)
			skipped = append(skipped, svc.name)
			continue
		}
		t.active = append(t.active, svc.name)
		instances = append(instances, t.instances(svc.name)...)
	}
	isActive := func(svc string) bool { return slices.Contains(t.active, svc) }

	// Build.
	pkgs := []string{}
	for _, svc := range t.active {
		pkgs = append(pkgs, cmdDir(svc))
	}
	pkgs = append(pkgs, cmdDir(gateway), "deploy/cmd/gfops", "cmd/grantflow")
	s.say("building %s gateway gfops grantflow into %s/", strings.Join(t.active, " "), s.rel(s.bin))
	if err := buildAll(s.root, s.bin, pkgs); err != nil {
		return err
	}

	// Secrets, generated once and kept in the state folder.
	sec, err := s.secrets()
	if err != nil {
		return err
	}
	// Only identity needs the bootstrap key, and only identity and notification the secrets
	// key: keep them out of the other processes' environment.
	delete(env, "GRANTFLOW_BOOTSTRAP_ADMIN_KEY")
	delete(env, "GRANTFLOW_SECRETS_KEY")
	setEnv("GRANTFLOW_INTERNAL_SECRET", sec.internal)
	auditKeyFile := ""
	if isActive("audit") && os.Getenv("GRANTFLOW_AUDIT_SIGNING_KEY") == "" && os.Getenv("GRANTFLOW_AUDIT_SIGNING_KEY_FILE") == "" {
		if auditKeyFile, err = s.auditKey(); err != nil {
			return err
		}
	}

	// What is already running.
	running := map[string]*procrun.Recorded{}
	all := append(append([]string{}, instances...), gateway)
	for _, name := range all {
		if r, ok := procrun.ReadPID(s.pidFile(name)); ok {
			running[name] = r
			s.say("%s is already running (pid %d): left alone (make down, then make up, to restart it)", name, r.PID)
		} else {
			_ = os.Remove(s.pidFile(name))
		}
	}
	for _, name := range all {
		if running[name] == nil && portOpen(t.addrOf(name)) {
			return fmt.Errorf("%s (%s) is taken by another process (make run still going? another make up with a different GRANTFLOW_RUN_DIR?)", t.addrOf(name), name)
		}
	}

	// PostgreSQL, Redis, migrations.
	var dbOut strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 35*time.Second)
	err = ensureDB(ctx, env["GRANTFLOW_POSTGRES_URL"], 5*time.Second, &dbOut)
	cancel()
	if err != nil {
		s.warn("%s", err)
		return errors.New("PostgreSQL at GRANTFLOW_POSTGRES_URL is not usable. Locally it starts with:\n  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
	}
	s.say("%s", strings.TrimSpace(dbOut.String()))
	if addr := redisAddr(env["GRANTFLOW_REDIS_URL"]); !portOpen(addr) {
		s.warn("warning: Redis at %s does not answer: the services run without their cache, and the gateway's /readyz fails until it does. Locally it starts with:\n"+
			`  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`, addr)
	}
	for _, svc := range t.active {
		if err := s.migrate(svc, env.with()); err != nil {
			return err
		}
		s.say("migrated %s", svc)
	}

	// Start, wait.
	st := &starter{s: s, t: t, running: running}
	procEnv := func(name string) []string {
		svc, _ := serviceOf(name)
		kv := []string{"GRANTFLOW_GRPC_ADDR", t.addrOf(name)}
		if name == gateway {
			kv[1] = ""
		}
		if metrics {
			kv = append(kv, "GRANTFLOW_METRICS_ADDR", t.metricsAddr(name))
		}
		switch svc {
		case "identity":
			kv = append(kv, "GRANTFLOW_BOOTSTRAP_ADMIN_KEY", sec.bootstrap, "GRANTFLOW_SECRETS_KEY", sec.secretsKey)
		case "notification":
			kv = append(kv, "GRANTFLOW_SECRETS_KEY", sec.secretsKey)
		case "audit":
			if auditKeyFile != "" {
				kv = append(kv, "GRANTFLOW_AUDIT_SIGNING_KEY_FILE", auditKeyFile)
			}
		}
		return env.with(kv...)
	}
	// Interrupted while starting (Ctrl-C): leave nothing half-started behind.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			s.warn("interrupted")
			st.stopStarted()
			os.Exit(130)
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(sigs)
	}()
	deadline := time.Duration(wait) * time.Second
	for _, name := range instances {
		if err := st.start(name, procEnv(name)); err != nil {
			return st.fail(err.Error(), name)
		}
	}
	s.say("waiting for the services (gRPC health, up to %ds)...", wait)
	if err := st.waitReady(instances, deadline, func(ctx context.Context, name string) error {
		return grpcHealth(ctx, dialAddr(t.addrOf(name)), "")
	}); err != nil {
		return err
	}
	if err := st.start(gateway, procEnv(gateway)); err != nil {
		return st.fail(err.Error(), gateway)
	}
	s.say("waiting for the gateway (%s/readyz)...", gatewayURL)
	if err := st.waitReady([]string{gateway}, deadline, func(ctx context.Context, _ string) error {
		return httpOK(ctx, gatewayURL+"/readyz")
	}); err != nil {
		return err
	}
	signal.Stop(sigs)

	// The demo organization (GRANTFLOW_DEMO=0 skips it), seeded once per state folder.
	if demo := os.Getenv("GRANTFLOW_DEMO"); demo != "0" && demo != "false" {
		// seed-demo dials one address per service: the first replica's.
		kv := []string{"GRANTFLOW_BOOTSTRAP_ADMIN_KEY", sec.bootstrap, "GRANTFLOW_HTTP_ADDR", t.httpAddr}
		for _, svc := range t.active {
			kv = append(kv, addrVar(svc), t.addrs[svc][0])
		}
		s.seedDemo(env.with(kv...))
	}

	// Where things are.
	s.say("")
	s.say("Grantflow is up.")
	row := "  %-12s %-8s %-22s %-16s %s"
	s.say(row, "NAME", "PID", "ADDRESS", "METRICS", "LOG")
	for _, name := range all {
		m := "-"
		if metrics {
			m = t.metricsAddr(name)
		}
		pid := ""
		if r, ok := procrun.ReadPID(s.pidFile(name)); ok {
			pid = strconv.Itoa(r.PID)
		}
		s.say(row, name, pid, t.addrOf(name), m, s.rel(s.logFile(name)))
	}
	for _, svc := range skipped {
		s.say("  %-12s %s", svc, "skipped: no Go files in "+cmdDir(svc))
	}
	if os.Getenv("OTEL_TRACES_EXPORTER")+os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		s.say("  traces: OTEL_TRACES_EXPORTER=%s OTEL_EXPORTER_OTLP_ENDPOINT=%s", envOr("OTEL_TRACES_EXPORTER", "otlp"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	}
	secretsFile := s.rel(filepath.Join(s.run, "secrets.env"))
	fmt.Fprintf(s.out, `
PostgreSQL: %s
Redis:      %s
State:      %s/ (secrets.env holds the internal secret and the bootstrap admin key)

Try it (the bootstrap admin's key):
  export GF=%s
  export GF_ADMIN=$(sed -n 's/^GRANTFLOW_BOOTSTRAP_ADMIN_KEY=//p' %s)
  curl -s $GF/readyz
  curl -s $GF/v1/me -H "Authorization: Bearer $GF_ADMIN"

Logs: make logs (or SVC=identity make logs)    Stop: make down
`, env["GRANTFLOW_POSTGRES_URL"], env["GRANTFLOW_REDIS_URL"], s.rel(s.run), gatewayURL, secretsFile)
	return nil
}

// buildAll builds the main packages into dir, in parallel (each from its module folder).
func buildAll(root, dir string, pkgs []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	errs := make([]error, len(pkgs))
	var wg sync.WaitGroup
	for i, pkg := range pkgs {
		wg.Go(func() { _, errs[i] = procrun.Build(root, dir, pkg) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// secrets are make up's generated secrets (state folder, secrets.env, mode 0600), each
// overridden by its variable in the environment.
type secrets struct{ internal, bootstrap, secretsKey string }

func (s *state) secrets() (secrets, error) {
	path := filepath.Join(s.run, "secrets.env")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		body := fmt.Sprintf("# generated by make up (gfops up) on %s; delete to get new ones\n"+
			"GRANTFLOW_INTERNAL_SECRET=%s\nGRANTFLOW_BOOTSTRAP_ADMIN_KEY=gf_bootstrap_%s\nGRANTFLOW_SECRETS_KEY=%s\n",
			time.Now().UTC().Format(time.RFC3339), randomBase64(32), randomHex(24), randomBase64(32))
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			return secrets{}, err
		}
		s.say("generated %s (internal secret, bootstrap admin key)", s.rel(path))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return secrets{}, err
	}
	saved := func(key string) string { // the last line that sets key
		v := ""
		for _, line := range strings.Split(string(raw), "\n") {
			if after, ok := strings.CutPrefix(line, key+"="); ok {
				v = after
			}
		}
		return envOr(key, v)
	}
	sec := secrets{internal: saved("GRANTFLOW_INTERNAL_SECRET"), bootstrap: saved("GRANTFLOW_BOOTSTRAP_ADMIN_KEY"), secretsKey: saved("GRANTFLOW_SECRETS_KEY")}
	if sec.secretsKey == "" { // a secrets.env of an earlier release: add the key
		sec.secretsKey = randomBase64(32)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return secrets{}, err
		}
		_, err = fmt.Fprintf(f, "GRANTFLOW_SECRETS_KEY=%s\n", sec.secretsKey)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return secrets{}, err
		}
	}
	if len(sec.internal) < 32 {
		return secrets{}, fmt.Errorf("GRANTFLOW_INTERNAL_SECRET must be 32 bytes or more (fix or delete %s)", path)
	}
	return sec, nil
}

func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// auditKey is the audit checkpoints' signing key file of the state folder, made once with
// audit keygen.
func (s *state) auditKey() (string, error) {
	path := filepath.Join(s.run, "audit-signing.key")
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return path, nil
	}
	out, err := exec.Command(filepath.Join(s.bin, "audit"), "keygen").Output()
	if err != nil {
		return "", fmt.Errorf("audit keygen: %v", err)
	}
	key := ""
	for _, line := range strings.Split(string(out), "\n") {
		if after, ok := strings.CutPrefix(line, "GRANTFLOW_AUDIT_SIGNING_KEY="); ok {
			key = after
		}
	}
	if key == "" {
		return "", errors.New("audit keygen printed no key")
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", err
	}
	s.say("generated %s (audit checkpoint signing key)", s.rel(path))
	return path, nil
}

// migrate runs svc's migrations, their output appended to its log.
func (s *state) migrate(svc string, env []string) error {
	log, err := procrun.AppendLog(s.logFile(svc))
	if err != nil {
		return err
	}
	defer log.Close()
	fmt.Fprintf(log, "\n==== %s: %s migrate\n", time.Now().UTC().Format(time.RFC3339), svc)
	cmd := exec.Command(filepath.Join(s.bin, svc), "migrate")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, log, log
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(s.errOut, tail(s.logFile(svc), 20))
		return fmt.Errorf("%s migrate failed (log above: %s)", svc, s.rel(s.logFile(svc)))
	}
	return nil
}

// redisAddr is the host:port of a redis:// URL (port 6379 when none).
func redisAddr(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "127.0.0.1:6379"
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "6379")
	}
	return u.Host
}

// seedDemo seeds the demo organization once per state folder (demo.txt) and prints it.
func (s *state) seedDemo(env []string) {
	demo := filepath.Join(s.run, "demo.txt")
	if fi, err := os.Stat(demo); err != nil || fi.Size() == 0 {
		s.say("seeding the demo organization (bin/grantflow seed-demo)...")
		if err := s.runSeed(env, demo); err != nil {
			_ = os.Remove(demo + ".tmp")
			s.warn("warning: the demo organization was not seeded (see %s); delete %s and run make up again to retry",
				s.rel(s.logFile("seed-demo")), s.rel(demo))
		}
	}
	if raw, err := os.ReadFile(demo); err == nil && len(raw) > 0 {
		_, _ = s.out.Write(raw)
	}
}

func (s *state) runSeed(env []string, demo string) error {
	out, err := os.Create(demo + ".tmp")
	if err != nil {
		return err
	}
	defer out.Close()
	log, err := procrun.AppendLog(s.logFile("seed-demo"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(s.bin, "grantflow"), "seed-demo")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, log
	if err := cmd.Run(); err != nil {
		return err
	}
	return os.Rename(demo+".tmp", demo)
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// starter starts make up's processes and stops the ones it started when the start fails.
type starter struct {
	s       *state
	t       *topology
	running map[string]*procrun.Recorded // from an earlier make up: left alone

	mu      sync.Mutex
	started []string
	procs   map[string]*procrun.Proc
}

// start starts the process name, detached, unless it is running already.
func (st *starter) start(name string, env []string) error {
	if st.running[name] != nil {
		return nil
	}
	svc, _ := serviceOf(name)
	log, err := procrun.AppendLog(st.s.logFile(name))
	if err != nil {
		return err
	}
	defer log.Close() // the process has its own copy
	_, _ = io.WriteString(log, procrun.Header(name))
	p, err := procrun.Start(procrun.Spec{Bin: filepath.Join(st.s.bin, svc), Env: env, Out: log, Mode: procrun.Detached})
	if err != nil {
		return err
	}
	if err := procrun.WritePID(st.s.pidFile(name), p.PID()); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.procs == nil {
		st.procs = map[string]*procrun.Proc{}
	}
	st.procs[name] = p
	st.started = append(st.started, name)
	return nil
}

// exited reports whether name has exited (whether started now or earlier).
func (st *starter) exited(name string) bool {
	st.mu.Lock()
	p := st.procs[name]
	st.mu.Unlock()
	if p != nil {
		select {
		case <-p.Done():
			return true
		default:
			return false
		}
	}
	r := st.running[name]
	return r == nil || !r.Alive()
}

// waitReady polls each name until ready, failing as soon as one exits or timeout passes.
func (st *starter) waitReady(names []string, timeout time.Duration, ready func(context.Context, string) error) error {
	deadline := time.Now().Add(timeout)
	pending := append([]string{}, names...)
	for len(pending) > 0 {
		var still []string
		for _, name := range pending {
			if st.exited(name) {
				return st.fail("exited during start", name)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := ready(ctx, name)
			cancel()
			if err != nil {
				still = append(still, name)
				continue
			}
			st.s.say("  %s ready", name)
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return st.fail(fmt.Sprintf("not ready within %s (GRANTFLOW_UP_WAIT)", timeout), pending...)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

// fail shows the names' logs, stops what this make up started (unless
// GRANTFLOW_KEEP_ON_FAILURE is set), and returns the failure.
func (st *starter) fail(why string, names ...string) error {
	for _, name := range names {
		st.s.warn("---- last lines of %s", st.s.rel(st.s.logFile(name)))
		st.s.warn("%s", tail(st.s.logFile(name), 25))
	}
	st.s.warn("----")
	if os.Getenv("GRANTFLOW_KEEP_ON_FAILURE") == "" {
		st.stopStarted()
	}
	return fmt.Errorf("%s %s", strings.Join(names, " "), why)
}

// stopStarted stops what this make up started (the gateway first), and nothing else.
func (st *starter) stopStarted() {
	st.mu.Lock()
	started := append([]string{}, st.started...)
	st.mu.Unlock()
	if len(started) == 0 {
		return
	}
	st.s.warn("stopping what this make up started (GRANTFLOW_KEEP_ON_FAILURE=1 keeps it running)")
	var rest []string
	for _, name := range started {
		if name != gateway {
			rest = append(rest, name)
		}
	}
	if slices.Contains(started, gateway) {
		stopNames(st.s, []string{gateway})
	}
	stopNames(st.s, rest)
}
