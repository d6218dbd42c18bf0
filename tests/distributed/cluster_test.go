package distributed_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for every process to be ready (the gateway's /readyz).
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop (SIGTERM) before SIGKILL; above the processes'
	// GRANTFLOW_SHUTDOWN_TIMEOUT below.
	stopTimeout = 10 * time.Second
	pollEvery   = 20 * time.Millisecond
)

// services are the service binaries, in the order make up starts them (audit first: every
// other service delivers its events there).
var services = []string{"audit", "identity", "policy", "request", "task"}

// cluster is every service as its own process on its own gRPC port, and the gateway, on one
// database: the distributed mode of make up, on free ports.
type cluster struct {
	t        *testing.T
	procs    map[string]*process
	grpc     map[string]string // service -> gRPC address
	metrics  map[string]string // process -> GRANTFLOW_METRICS_ADDR
	base     string            // the gateway's URL
	adminKey string            // GRANTFLOW_BOOTSTRAP_ADMIN_KEY
}

// clusterOptions are what the test gives every process.
type clusterOptions struct {
	postgresURL, redisURL string
	// otlpEndpoint receives every process's spans (OTLP/gRPC, no TLS).
	otlpEndpoint string
}

// startCluster builds the binaries, migrates each service's schema, starts every process
// and waits until the gateway's /readyz answers 200 (every service SERVING, Redis up).
// Everything is stopped, gracefully, when the test ends.
func startCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	began := time.Now()
	bins := buildBinaries(t)
	built := time.Since(began)

	c := &cluster{t: t, procs: map[string]*process{}, grpc: map[string]string{}, metrics: map[string]string{},
		adminKey: "gf_bootstrap_" + randomHex(24)}
	for _, name := range services {
		c.grpc[name] = freeAddr(t)
	}
	for _, name := range append([]string{"gateway"}, services...) {
		c.metrics[name] = freeAddr(t)
	}
	httpAddr := freeAddr(t)
	c.base = "http://" + httpAddr

	common := append(baseEnv(),
		"GRANTFLOW_REDIS_URL="+o.redisURL,
		"GRANTFLOW_INTERNAL_SECRET="+randomHex(32),
		"GRANTFLOW_LOG_LEVEL=info",
		"GRANTFLOW_SHUTDOWN_TIMEOUT=5s",
		"OTEL_TRACES_EXPORTER=otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+o.otlpEndpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_BSP_SCHEDULE_DELAY=100", // milliseconds: spans reach the receiver soon after they end
	)
	for _, name := range services {
		common = append(common, "GRANTFLOW_"+strings.ToUpper(name)+"_ADDR="+c.grpc[name])
	}
	for _, name := range services {
		env := append(append([]string{}, common...),
			"GRANTFLOW_POSTGRES_URL="+o.postgresURL,
			"GRANTFLOW_GRPC_ADDR="+c.grpc[name],
			"GRANTFLOW_METRICS_ADDR="+c.metrics[name],
		)
		if name == "identity" { // as under make up: only identity knows the bootstrap key
			env = append(env, "GRANTFLOW_BOOTSTRAP_ADMIN_KEY="+c.adminKey)
		}
		c.procs[name] = newProcess(t, name, bins[name], env)
	}
	c.procs["gateway"] = newProcess(t, "gateway", bins["gateway"], append(append([]string{}, common...),
		"GRANTFLOW_HTTP_ADDR="+httpAddr,
		"GRANTFLOW_METRICS_ADDR="+c.metrics["gateway"],
	))
	// Stop the gateway first, then the services together (cleanups run last-in first-out).
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, name := range services {
			wg.Go(func() { c.procs[name].stop() })
		}
		wg.Wait()
	})
	t.Cleanup(func() { c.procs["gateway"].stop() })

	migrateStarted := time.Now()
	for _, name := range services {
		c.procs[name].run("migrate")
	}
	migrated := time.Since(migrateStarted)

	startStarted := time.Now()
	for _, name := range services {
		c.procs[name].start()
	}
	c.procs["gateway"].start()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	last := "no answer yet"
	poll(t, time.Now().Add(startTimeout), "the gateway's /readyz", func() (bool, string) {
		for _, p := range c.procs {
			p.checkAlive()
		}
		res, err := client.Get(c.base + "/readyz")
		if err != nil {
			last = err.Error()
			return false, last
		}
		defer res.Body.Close()
		buf := make([]byte, 512)
		n, _ := res.Body.Read(buf)
		last = fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(buf[:n])))
		return res.StatusCode == http.StatusOK, last
	})
	for _, p := range c.procs {
		p.ready = true
	}
	t.Logf("cluster: binaries built in %s, 5 schemas migrated in %s, 6 processes ready in %s (gateway %s)",
		built.Round(time.Millisecond), migrated.Round(time.Millisecond), time.Since(startStarted).Round(time.Millisecond), c.base)
	return c
}

// buildBinaries builds every service's cmd and the gateway's into a temporary folder, in
// parallel, with the go command that runs the test. Each is built from its own module
// folder, so the build works with and without the go.work workspace.
func buildBinaries(t *testing.T) map[string]string {
	t.Helper()
	goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("the go command is needed to build the binaries: %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type build struct{ name, moduleDir, pkg string }
	builds := []build{{"gateway", filepath.Join(root, "gateway"), "./cmd/gateway"}}
	for _, name := range services {
		builds = append(builds, build{name, filepath.Join(root, "services", name), "./cmd/" + name})
	}
	bins := map[string]string{}
	failures := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		out := filepath.Join(dir, b.name)
		bins[b.name] = out
		wg.Go(func() {
			// No symbol table or DWARF: linking takes half as long, and panics still print
			// their stacks.
			cmd := exec.CommandContext(t.Context(), goTool, "build", "-ldflags=-s -w", "-o", out, b.pkg)
			cmd.Dir = b.moduleDir
			if out, err := cmd.CombinedOutput(); err != nil {
				failures[i] = fmt.Errorf("go build %s in %s: %v\n%s", b.pkg, b.moduleDir, err, out)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(failures...); err != nil {
		t.Fatal(err)
	}
	return bins
}

// process is one binary the test runs. Its output (JSON logs) goes to a file, whose tail the
// test prints when it fails.
type process struct {
	t       *testing.T
	name    string
	bin     string
	env     []string
	logPath string
	log     *os.File
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	err     error         // cmd.Wait's result; read only after done is closed
	ready   bool          // it served: from then on a stop must be clean
	stopped bool          // the test stopped it
}

// newProcess prepares bin; it is stopped, if running, when the test ends.
func newProcess(t *testing.T, name, bin string, env []string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, name: name, bin: bin, env: env, logPath: logPath, log: f}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of the %s log (%s):\n%s", name, logPath, p.tail(30))
		}
		_ = f.Close()
	})
	return p
}

// run runs the binary with args to its end (e.g. "migrate") and fails the test if it fails.
func (p *process) run(args ...string) {
	p.t.Helper()
	cmd := exec.CommandContext(p.t.Context(), p.bin, args...)
	cmd.Env = p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("%s %s: %v\n%s", p.name, strings.Join(args, " "), err, out)
	}
}

// start starts the server in the background.
func (p *process) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	dieWithTheTest(cmd)
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
}

// checkAlive fails the test if the process exited: nobody but the test may stop it.
func (p *process) checkAlive() {
	p.t.Helper()
	select {
	case <-p.done:
		p.t.Fatalf("%s exited on its own: %v\n%s", p.name, p.err, p.tail(30))
	default:
	}
}

// stop sends SIGTERM, waits for a graceful exit (which flushes the spans still batched),
// and kills the process if it takes longer than stopTimeout. A process that was ready and
// does not exit cleanly on SIGTERM fails the test.
func (p *process) stop() {
	if p.cmd == nil || p.stopped {
		return
	}
	p.stopped = true
	select {
	case <-p.done:
		p.t.Errorf("%s exited on its own before the end of the test: %v\n%s", p.name, p.err, p.tail(20))
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		// (One stopped while starting may not have its signal handler yet.)
		if p.err != nil && p.ready {
			p.t.Errorf("%s after SIGTERM: %v, want a clean exit\n%s", p.name, p.err, p.tail(20))
		}
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("%s still running %s after SIGTERM: killed", p.name, stopTimeout)
	}
}

// tail returns the last n lines of the log.
func (p *process) tail(n int) string {
	raw, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// baseEnv is the test's environment without the settings the processes get from the test
// (a developer's own GRANTFLOW_* or OTEL_* must not leak into them).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GRANTFLOW_") || strings.HasPrefix(kv, "OTEL_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// freeAddr returns a loopback address whose port is free and lies below the kernel's
// ephemeral range, so that no outgoing connection of this machine takes it as its source
// port between this check and the process binding it.
func freeAddr(t *testing.T) string {
	t.Helper()
	low := ephemeralLow()
	const first = 10000
	for range 200 {
		port := first + mathrand.IntN(max(1, low-first))
		lis, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken: try another
		}
		addr := lis.Addr().String()
		if err := lis.Close(); err != nil {
			t.Fatal(err)
		}
		return addr
	}
	t.Fatalf("no free port found between %d and %d", first, low)
	return ""
}

// ephemeralLow is the first port Linux hands out to outgoing connections (32768 when it
// cannot be read).
func ephemeralLow() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return n
}

// poll calls cond until it reports done, failing the test at the deadline with cond's last
// state.
func poll(t *testing.T, deadline time.Time, what string, cond func() (done bool, state string)) {
	t.Helper()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		done, state := cond()
		switch {
		case done:
			return
		case t.Failed():
			t.Fatalf("stopped waiting for %s: the test failed (%s)", what, state)
		case time.Now().After(deadline):
			t.Fatalf("timed out waiting for %s: %s", what, state)
		}
		<-tick.C
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
