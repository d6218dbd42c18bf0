package procrun_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// helpers are the processes the tests start: one that SIGTERM stops, one that ignores it
// (only SIGKILL ends it). Each prints "serving" once its signal handling is in place.
var helpers = map[string][]string{
	"serve":    {"/bin/sh", "-c", "echo serving; exec sleep 1000"},
	"stubborn": {"/bin/sh", "-c", "trap '' TERM; echo serving; while :; do sleep 1; done"},
}

// hang bounds a wait that only a bug makes long.
const hang = 30 * time.Second

// start starts the helper mode, detached, and waits until it serves.
func start(t *testing.T, mode string) *procrun.Proc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := helpers[mode]
	p, err := procrun.Start(procrun.Spec{Bin: cmd[0], Args: cmd[1:], Env: os.Environ(), Out: w, Mode: procrun.Detached})
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Signal(syscall.SIGKILL)
		<-p.Done()
		_ = r.Close()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "serving" {
		t.Fatalf("helper %s: %q, %v", mode, line, err)
	}
	return p
}

func TestStopRecordedAndStarted(t *testing.T) {
	dir := t.TempDir()
	a, b := start(t, "serve"), start(t, "stubborn")
	for name, p := range map[string]*procrun.Proc{"a": a, "b": b} {
		if err := procrun.WritePID(filepath.Join(dir, name+".pid"), p.PID()); err != nil {
			t.Fatal(err)
		}
	}
	ra, ok := procrun.ReadPID(filepath.Join(dir, "a.pid"))
	if !ok || ra.PID != a.PID() {
		t.Fatalf("ReadPID of a running process: %v %v", ra, ok)
	}
	// a from its PID file (as make down sees it) stops on SIGTERM; b as started (as make up
	// sees it) ignores SIGTERM and needs SIGKILL.
	stop := func(grace time.Duration, t procrun.Target) (ended, killed bool) {
		left := procrun.Stop(grace, hang, func(_ int, k bool) { ended, killed = true, k }, t)
		return ended && len(left) == 0, killed
	}
	if ended, killed := stop(hang, ra); !ended || killed {
		t.Fatalf("a: ended %v, killed %v: want stopped by SIGTERM", ended, killed)
	}
	if ended, killed := stop(time.Second, b); !ended || !killed {
		t.Fatalf("b: ended %v, killed %v: want stopped by SIGKILL", ended, killed)
	}
	if _, ok := procrun.ReadPID(filepath.Join(dir, "a.pid")); ok {
		t.Fatal("a stopped process reads as running")
	}
	select {
	case <-a.Done():
	case <-time.After(hang):
		t.Fatal("the stopped process was not reaped")
	}
}

func TestPIDFileOfAnotherProcess(t *testing.T) {
	p := start(t, "serve")
	path := filepath.Join(t.TempDir(), "x.pid")
	if err := procrun.WritePID(path, p.PID()); err != nil {
		t.Fatal(err)
	}
	if _, ok := procrun.ReadPID(path); !ok {
		t.Fatal("the PID file of a running process does not read as running")
	}
	raws := []string{"", "x", "-3", "0 1"}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		// The PID recorded, but another start time: the PID went to another process.
		raws = append(raws, strconv.Itoa(p.PID())+" 1")
	}
	for _, raw := range raws {
		if err := os.WriteFile(path, []byte(raw+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := procrun.ReadPID(path); ok {
			t.Fatalf("PID file %q reads as running", raw)
		}
	}
	if _, ok := procrun.ReadPID(filepath.Join(t.TempDir(), "missing.pid")); ok {
		t.Fatal("a missing PID file reads as running")
	}
}

func TestStopTogether(t *testing.T) {
	ps := []procrun.Target{start(t, "serve"), start(t, "serve"), start(t, "serve")}
	ended := map[int]bool{}
	if left := procrun.Stop(hang, hang, func(i int, killed bool) { ended[i] = !killed }, ps...); len(left) != 0 {
		t.Fatalf("still running: %v", left)
	}
	if len(ended) != 3 || !ended[0] || !ended[1] || !ended[2] {
		t.Fatalf("ended by SIGTERM: %v, want all three", ended)
	}
}
