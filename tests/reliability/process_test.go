package reliability_test

// Processes: the service binaries and redis-server, started, killed and restarted by the
// tests. Adapted from services/audit/killtest (process_test.go), which tests one service;
// here every service runs.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// exitTimeout bounds how long a process may take to be reaped after SIGKILL.
const exitTimeout = 10 * time.Second

// services are the binaries the tests run, in the order they start (make up's order:
// audit first, every other service delivers its events there).
var services = []string{"audit", "identity", "policy", "task", "request"}

// binaries are built once per test binary, into binDir, by the first test that needs them.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
	buildTime time.Duration
)

// binary returns the path of the built binary of service name.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		began := time.Now()
		binDir, buildErr = buildServices()
		buildTime = time.Since(began)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// buildServices builds every service's cmd/<name> into a new folder, in parallel, with the go
// command that runs the test. Each is built from its own module folder, so the build works
// with and without the go.work workspace.
func buildServices() (string, error) {
	goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build the services: %v", err)
	}
	dir, err := os.MkdirTemp("", "grantflow-reliability-bin-")
	if err != nil {
		return "", err
	}
	failures := make([]error, len(services))
	var wg sync.WaitGroup
	for i, name := range services {
		wg.Go(func() {
			moduleDir := filepath.Join("..", "..", "services", name)
			cmd := exec.Command(goTool, "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
			cmd.Dir = moduleDir
			if out, err := cmd.CombinedOutput(); err != nil {
				failures[i] = fmt.Errorf("go build ./cmd/%s in %s: %v\n%s", name, moduleDir, err, out)
			}
		})
	}
	wg.Wait()
	return dir, errors.Join(failures...)
}

// freeAddr returns a loopback address whose port is free and lies below the kernel's
// ephemeral range, so that a restarted server can bind it again: a port of the ephemeral
// range could meanwhile become the source port of some outgoing connection (see killtest).
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
	return append(env, "OTEL_TRACES_EXPORTER=none")
}

// process is a server the test runs, kills and restarts. Its output goes to a file, whose
// tail the test prints when it fails.
type process struct {
	t       *testing.T
	name    string
	bin     string
	args    []string
	env     []string
	logPath string
	log     *os.File

	mu     sync.Mutex // guards starts and cur, read by the load's goroutines
	starts int
	cur    *incarnation
}

// incarnation is one run of the process.
type incarnation struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed once the process has exited and been reaped
	err     error         // cmd.Wait's result; read only after done is closed
	stopped atomic.Bool   // the test stopped it on purpose
}

// newProcess prepares bin; it is killed, if running, when the test ends.
func newProcess(t *testing.T, name, bin string, env []string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, name: name, bin: bin, args: args, env: env, logPath: logPath, log: f}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("last lines of the %s log (%s):\n%s", name, logPath, p.tail(30))
		}
		_ = f.Close()
	})
	return p
}

// runQuiet runs the binary with args to its end and returns its failure; safe from any
// goroutine.
func (p *process) runQuiet(args ...string) error {
	cmd := exec.CommandContext(p.t.Context(), p.bin, args...)
	cmd.Env = p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", p.name, strings.Join(args, " "), err, out)
	}
	return nil
}

// start starts a new incarnation of the server.
func (p *process) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts++
	fmt.Fprintf(p.log, "=== reliability test: start %d of %s ===\n", p.starts, p.name)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	dieWithTheTest(cmd)
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	inc := &incarnation{cmd: cmd, started: time.Now(), done: make(chan struct{})}
	go func() {
		inc.err = cmd.Wait()
		close(inc.done)
	}()
	p.cur = inc
}

// exited reports an error when the running incarnation ended without the test stopping it;
// nobody but the test may stop a process. Safe from any goroutine.
func (p *process) exited() error {
	p.mu.Lock()
	cur, starts := p.cur, p.starts
	p.mu.Unlock()
	if cur == nil || cur.stopped.Load() {
		return nil
	}
	select {
	case <-cur.done:
		return fmt.Errorf("%s (start %d) exited on its own: %v\n%s", p.name, starts, cur.err, p.tail(30))
	default:
		return nil
	}
}

// kill9 sends SIGKILL to the running incarnation and waits until it is gone.
func (p *process) kill9() {
	p.t.Helper()
	if err := p.exited(); err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	cur, starts := p.cur, p.starts
	p.mu.Unlock()
	cur.stopped.Store(true)
	if err := cur.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	select {
	case <-cur.done:
	case <-time.After(exitTimeout):
		p.t.Fatalf("%s still running %s after SIGKILL", p.name, exitTimeout)
	}
	var exit *exec.ExitError
	if !errors.As(cur.err, &exit) {
		p.t.Fatalf("%s after SIGKILL: %v, want death by signal", p.name, cur.err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("%s ended with %v, not by SIGKILL", p.name, cur.err)
	}
	fmt.Fprintf(p.log, "=== reliability test: kill -9 of start %d ===\n", starts)
}

// kill kills the running incarnation, if any, and reaps it (test cleanup).
func (p *process) kill() {
	p.mu.Lock()
	cur := p.cur
	p.mu.Unlock()
	if cur == nil {
		return
	}
	cur.stopped.Store(true)
	select {
	case <-cur.done:
		return
	default:
	}
	_ = cur.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-cur.done:
	case <-time.After(exitTimeout):
		p.t.Errorf("%s still running %s after SIGKILL", p.name, exitTimeout)
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

// count returns how many lines of the log contain s.
func (p *process) count(s string) int {
	raw, err := os.ReadFile(p.logPath)
	if err != nil {
		p.t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}
