package procrun

import (
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Mode is how a started process relates to the one that starts it.
type Mode int

const (
	// Attached: the process dies with its parent (on Linux, by PR_SET_PDEATHSIG). Tests.
	Attached Mode = iota
	// Detached: the process runs in a session of its own and outlives its parent. make up.
	Detached
)

// Spec is a process to start.
type Spec struct {
	Bin  string
	Args []string
	Env  []string  // the whole environment
	Out  io.Writer // stdout and stderr (nil: discarded); stdin is always closed
	Mode Mode
}

// Proc is a process started by Start.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start starts spec's process and reaps it when it exits (see Done).
func Start(spec Spec) (*Proc, error) {
	cmd := exec.Command(spec.Bin, spec.Args...)
	cmd.Env = spec.Env
	cmd.Stdout, cmd.Stderr = spec.Out, spec.Out
	if spec.Mode == Detached {
		detach(cmd)
	} else {
		attach(cmd)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Command is exec.Command(bin, args...) with env that dies with its parent like an
// Attached process: for a binary run to its end (e.g. "migrate") by a test.
func Command(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	attach(cmd)
	return cmd
}

// PID is the process's id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Signal sends sig to the process (nothing once it has exited).
func (p *Proc) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Done is closed once the process has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the process ended (cmd.Wait's result); call it only after Done is closed.
func (p *Proc) Err() error { return p.err }

// Target is a process Stop can stop: a Proc, or a Recorded one.
type Target interface {
	Signal(syscall.Signal) error
	Done() <-chan struct{}
}

// Stop stops the targets together: SIGTERM to each, then it waits until all have exited or
// grace has passed, and sends SIGKILL to those still running, which it waits for up to
// killWait more (SIGKILL cannot be refused: that only bounds the kernel's reaping). ended,
// when not nil, is called with each target's index as it ends, and killed when it needed
// SIGKILL. Stop returns the indexes of the targets still running at the end.
func Stop(grace, killWait time.Duration, ended func(i int, killed bool), ts ...Target) []int {
	for _, t := range ts {
		_ = t.Signal(syscall.SIGTERM)
	}
	left := wait(ts, allIndexes(len(ts)), grace, func(i int) { call(ended, i, false) })
	for _, i := range left {
		_ = ts[i].Signal(syscall.SIGKILL)
	}
	return wait(ts, left, killWait, func(i int) { call(ended, i, true) })
}

func call(f func(int, bool), i int, killed bool) {
	if f != nil {
		f(i, killed)
	}
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// wait waits for the targets of idx until timeout, calling ended for each as it ends, and
// returns those still running.
func wait(ts []Target, idx []int, timeout time.Duration, ended func(int)) []int {
	if len(idx) == 0 {
		return nil
	}
	exited := make(chan int, len(idx)) // buffered: no watcher ever blocks
	stop := make(chan struct{})
	defer close(stop)
	for _, i := range idx {
		go func() {
			select {
			case <-ts[i].Done():
				exited <- i
			case <-stop:
			}
		}()
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	running := map[int]bool{}
	for _, i := range idx {
		running[i] = true
	}
	for len(running) > 0 {
		select {
		case i := <-exited:
			delete(running, i)
			ended(i)
		case <-deadline.C:
			return slices.Sorted(maps.Keys(running))
		}
	}
	return nil
}

// Header is the line a log gets before each start of a process (name).
func Header(name string) string {
	return fmt.Sprintf("\n==== %s: starting %s\n", time.Now().UTC().Format(time.RFC3339), name)
}

// AppendLog opens path to append (creating it and its folder).
func AppendLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
}
