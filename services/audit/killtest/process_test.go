package killtest_test

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
	"syscall"
	"testing"
	"time"
)

// exitTimeout bounds how long a process may take to be reaped after SIGKILL.
const exitTimeout = 10 * time.Second

// buildBinaries builds audit's cmd/audit and identity's cmd/identity into a temporary
// folder, in parallel, with the go command that runs the test. Each is built from its own
// module folder, so the build works with and without the go.work workspace.
func buildBinaries(t *testing.T) (auditBin, identityBin string) {
	t.Helper()
	goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("the go command is needed to build the binaries: %v", err)
	}
	dir := t.TempDir()
	auditBin, identityBin = filepath.Join(dir, "audit"), filepath.Join(dir, "identity")
	builds := []struct{ moduleDir, pkg, out string }{
		{"..", "./cmd/audit", auditBin},
		{filepath.Join("..", "..", "identity"), "./cmd/identity", identityBin},
	}
	failures := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), goTool, "build", "-o", b.out, b.pkg)
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
	return auditBin, identityBin
}

// freeAddr returns a loopback address whose port is free and lies below the kernel's
// ephemeral range. A restarted audit binds the same port again (Go listeners set
// SO_REUSEADDR, so a dead listener's connections do not block it). A port from the ephemeral
// range could meanwhile be taken as the source port of some outgoing connection, e.g.
// identity's own reconnection attempt to it, and the restart would fail with "address
// already in use".
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

// process is a service binary the test runs, kills and restarts. Its output (JSON logs)
// goes to a file, whose tail the test prints when it fails.
type process struct {
	t       *testing.T
	name    string
	bin     string
	env     []string
	logPath string
	log     *os.File
	starts  int
	cur     *incarnation
}

// incarnation is one run of the process.
type incarnation struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed once the process has exited and been reaped
	err     error         // cmd.Wait's result; read only after done is closed
}

// newProcess prepares bin; it is killed, if running, when the test ends.
func newProcess(t *testing.T, name, bin string, env []string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, name: name, bin: bin, env: env, logPath: logPath, log: f}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("last lines of the %s log (%s):\n%s", name, logPath, p.tail(40))
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

// start starts a new incarnation of the server.
func (p *process) start() time.Time {
	p.t.Helper()
	p.starts++
	fmt.Fprintf(p.log, "=== killtest: start %d of %s ===\n", p.starts, p.name)
	cmd := exec.Command(p.bin)
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
	return inc.started
}

// checkAlive fails the test if the current incarnation exited: nobody but the test may
// stop it.
func (p *process) checkAlive() {
	p.t.Helper()
	select {
	case <-p.cur.done:
		p.t.Fatalf("%s (start %d) exited on its own: %v\n%s", p.name, p.starts, p.cur.err, p.tail(40))
	default:
	}
}

// kill9 sends SIGKILL to the running incarnation and waits until it is gone.
func (p *process) kill9() {
	p.t.Helper()
	p.checkAlive()
	if err := p.cur.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	select {
	case <-p.cur.done:
	case <-time.After(exitTimeout):
		p.t.Fatalf("%s still running %s after SIGKILL", p.name, exitTimeout)
	}
	var exit *exec.ExitError
	if !errors.As(p.cur.err, &exit) {
		p.t.Fatalf("%s after SIGKILL: %v, want death by signal", p.name, p.cur.err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("%s ended with %v, not by SIGKILL", p.name, p.cur.err)
	}
	fmt.Fprintf(p.log, "=== killtest: kill -9 of start %d ===\n", p.starts)
}

// stop kills the running incarnation, if any, and reaps it (test cleanup).
func (p *process) stop() {
	if p.cur == nil {
		return
	}
	select {
	case <-p.cur.done:
		return
	default:
	}
	_ = p.cur.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.cur.done:
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

// count returns how many lines of the log match.
func (p *process) count(match func(line string) bool) int {
	raw, err := os.ReadFile(p.logPath)
	if err != nil {
		p.t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if match(sc.Text()) {
			n++
		}
	}
	return n
}
