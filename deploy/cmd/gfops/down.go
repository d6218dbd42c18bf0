package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// down is make down: it stops every process that has a PID file in the state folder (but
// Jaeger, which make jaeger-down stops): the gateway first, then all services together.
// Each gets SIGTERM and GRANTFLOW_STOP_TIMEOUT seconds (default 20, above the services' own
// 15 s graceful stop) before SIGKILL. With nothing running it says so and succeeds.
func down(out, errOut io.Writer) error {
	s, err := newState(out, errOut)
	if err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(s.pids, "*.pid"))
	var names []string
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".pid"); name != "jaeger" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		s.say("Grantflow is not running (no pid files in %s).", s.rel(s.pids))
		return nil
	}
	alive := map[string]*procrun.Recorded{}
	for _, name := range names {
		if r, ok := procrun.ReadPID(s.pidFile(name)); ok {
			alive[name] = r
		} else {
			_ = os.Remove(s.pidFile(name))
		}
	}
	if len(alive) == 0 {
		s.say("Grantflow is not running (stale pid files removed).")
		return nil
	}
	s.say("stopping Grantflow...")
	var rest []string
	for _, name := range names {
		if alive[name] != nil && name != gateway {
			rest = append(rest, name)
		}
	}
	if alive[gateway] != nil {
		stopNames(s, []string{gateway})
	}
	stopNames(s, rest)

	// The pid files are gone now: check the very processes.
	var left []string
	for _, name := range names {
		if r := alive[name]; r != nil && r.Alive() {
			left = append(left, name+" ("+strconv.Itoa(r.PID)+")")
		}
	}
	if len(left) > 0 {
		return errors.New("still running: " + strings.Join(left, " "))
	}
	s.say("Grantflow is down (logs kept in %s).", s.rel(s.logs))
	return nil
}

// stopTimeout is GRANTFLOW_STOP_TIMEOUT: how long a process has to stop after SIGTERM.
func stopTimeout() time.Duration {
	n, err := strconv.Atoi(os.Getenv("GRANTFLOW_STOP_TIMEOUT"))
	if err != nil || n < 1 {
		n = 20
	}
	return time.Duration(n) * time.Second
}

// killWait bounds the wait for the kernel to reap a process after SIGKILL.
const killWait = 5 * time.Second

// stopNames stops the recorded processes names together (procrun.Stop) and removes their
// PID files. Stopping one that is not running is fine.
func stopNames(s *state, names []string) {
	var ts []procrun.Target
	var tn []string
	for _, name := range names {
		if r, ok := procrun.ReadPID(s.pidFile(name)); ok {
			ts = append(ts, r)
			tn = append(tn, name)
		} else if _, err := os.Stat(s.pidFile(name)); err == nil {
			s.say("  %s had already exited", name)
			_ = os.Remove(s.pidFile(name))
		}
	}
	if len(ts) == 0 {
		return
	}
	grace := stopTimeout()
	procrun.Stop(grace, killWait, func(i int, killed bool) {
		pid := ts[i].(*procrun.Recorded).PID
		if killed {
			s.warn("  %s (pid %d) did not stop within %s: SIGKILL", tn[i], pid, grace)
		} else {
			s.say("  stopped %s (pid %d)", tn[i], pid)
		}
		_ = os.Remove(s.pidFile(tn[i]))
	}, ts...)
	for _, name := range tn { // the ones SIGKILL did not end either
		_ = os.Remove(s.pidFile(name))
	}
}
