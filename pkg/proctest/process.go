package proctest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// ExitTimeout bounds how long a process may take to be reaped after SIGKILL, and a
// graceful stop after SIGTERM: it only bounds a hang.
const ExitTimeout = 30 * time.Second

// tailLines is how much of a log a failed test prints.
const tailLines = 40

// Process is a binary the test runs, kills and restarts. Its output goes to a log file,
// whose tail the test prints when it fails. When the test ends, a process still running is
// killed (SIGKILL) and reaped. Its methods are safe from any goroutine, except that the
// ones that fail the test must run on the test's.
type Process struct {
	t       testing.TB
	name    string
	bin     string
	args    []string
	env     []string
	logPath string
	log     *os.File

	mu     sync.Mutex // guards starts, cur and ready
	starts int
	cur    *incarnation
	ready  bool // it served: from then on a graceful stop must be clean
}

// incarnation is one run of the process.
type incarnation struct {
	*procrun.Proc
	started time.Time
	stopped atomic.Bool // the test stopped it on purpose
}

// New prepares bin, to run with env and args, under name (its log is <name>.log in a
// temporary folder of t).
func New(t testing.TB, name, bin string, env []string, args ...string) *Process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{t: t, name: name, bin: bin, args: args, env: env, logPath: logPath, log: f}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("last lines of the %s log (%s):\n%s", name, logPath, p.Tail(tailLines))
		}
		_ = f.Close()
	})
	return p
}

// Name is the process's name.
func (p *Process) Name() string { return p.name }

// Run runs the binary with args (not the process's own) to its end, e.g. "migrate", and
// returns its failure with its output. Safe from any goroutine.
func (p *Process) Run(args ...string) error {
	if out, err := procrun.Command(p.bin, p.env, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", p.name, strings.Join(args, " "), err, out)
	}
	return nil
}

// MustRun is Run that fails the test.
func (p *Process) MustRun(args ...string) {
	p.t.Helper()
	if err := p.Run(args...); err != nil {
		p.t.Fatal(err)
	}
}

// Start starts a new incarnation of the server and returns when it started.
func (p *Process) Start() time.Time {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts++
	fmt.Fprintf(p.log, "=== proctest: start %d of %s ===\n", p.starts, p.name)
	proc, err := procrun.Start(procrun.Spec{Bin: p.bin, Args: p.args, Env: p.env, Out: p.log, Mode: procrun.Attached})
	if err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	inc := &incarnation{Proc: proc, started: time.Now()}
	p.cur = inc
	return inc.started
}

// Starts is how many times the process was started.
func (p *Process) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// MarkReady records that the process served: from then on Stop requires a clean exit.
func (p *Process) MarkReady() {
	p.mu.Lock()
	p.ready = true
	p.mu.Unlock()
}

// Exited returns an error, with the log's tail, when the running incarnation ended without
// the test stopping it: nobody but the test may stop a process. Safe from any goroutine.
func (p *Process) Exited() error {
	p.mu.Lock()
	cur, starts := p.cur, p.starts
	p.mu.Unlock()
	if cur == nil || cur.stopped.Load() {
		return nil
	}
	select {
	case <-cur.Done():
		return fmt.Errorf("%s (start %d) exited on its own: %v\n%s", p.name, starts, cur.Err(), p.Tail(tailLines))
	default:
		return nil
	}
}

// CheckAlive fails the test when the process exited on its own.
func (p *Process) CheckAlive() {
	p.t.Helper()
	if err := p.Exited(); err != nil {
		p.t.Fatal(err)
	}
}

// Kill9 sends SIGKILL to the running incarnation, waits until it is reaped, and fails the
// test unless it died by that signal.
func (p *Process) Kill9() {
	p.t.Helper()
	p.CheckAlive()
	p.mu.Lock()
	cur, starts := p.cur, p.starts
	p.mu.Unlock()
	cur.stopped.Store(true)
	if err := cur.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	select {
	case <-cur.Done():
	case <-time.After(ExitTimeout):
		p.t.Fatalf("%s still running %s after SIGKILL", p.name, ExitTimeout)
	}
	var exit *exec.ExitError
	if !errors.As(cur.Err(), &exit) {
		p.t.Fatalf("%s after SIGKILL: %v, want death by signal", p.name, cur.Err())
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("%s ended with %v, not by SIGKILL", p.name, cur.Err())
	}
	fmt.Fprintf(p.log, "=== proctest: kill -9 of start %d ===\n", starts)
}

// Stop stops the running incarnation gracefully: SIGTERM, then SIGKILL if it is still
// running after ExitTimeout. It reports an error (t.Errorf) when the process had exited on
// its own, or when one marked ready does not exit cleanly. It runs from cleanups too.
func (p *Process) Stop() {
	p.mu.Lock()
	cur, ready := p.cur, p.ready
	p.mu.Unlock()
	if cur == nil || cur.stopped.Swap(true) {
		return
	}
	select {
	case <-cur.Done():
		p.t.Errorf("%s exited on its own before the end of the test: %v\n%s", p.name, cur.Err(), p.Tail(20))
		return
	default:
	}
	killed := false
	if left := procrun.Stop(ExitTimeout, ExitTimeout, func(_ int, k bool) { killed = k }, cur); len(left) > 0 {
		p.t.Errorf("%s still running %s after SIGKILL", p.name, ExitTimeout)
		return
	}
	switch {
	case killed:
		p.t.Errorf("%s still running %s after SIGTERM: killed", p.name, ExitTimeout)
	case cur.Err() != nil && ready:
		// (One stopped while starting may not have its signal handler yet.)
		p.t.Errorf("%s after SIGTERM: %v, want a clean exit\n%s", p.name, cur.Err(), p.Tail(20))
	}
}

// Kill kills the running incarnation, if any, and reaps it (the cleanup does it too).
func (p *Process) Kill() {
	p.mu.Lock()
	cur := p.cur
	p.mu.Unlock()
	if cur == nil {
		return
	}
	cur.stopped.Store(true)
	select {
	case <-cur.Done():
		return
	default:
	}
	_ = cur.Signal(syscall.SIGKILL)
	select {
	case <-cur.Done():
	case <-time.After(ExitTimeout):
		p.t.Errorf("%s still running %s after SIGKILL", p.name, ExitTimeout)
	}
}

// Tail returns the last n lines of the log.
func (p *Process) Tail(n int) string {
	raw, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Count returns how many lines of the log match.
func (p *Process) Count(match func(line string) bool) int {
	p.t.Helper()
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
