package procrun_test

import (
	"bufio"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// helperEnv makes the test binary act as a child process instead of running the tests.
const helperEnv = "PROCRUN_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "serve": // exit cleanly on SIGTERM
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		os.Stdout.WriteString("serving\n")
		<-sig
		os.Exit(0)
	case "stubborn": // ignore SIGTERM: only SIGKILL ends it
		signal.Ignore(syscall.SIGTERM)
		os.Stdout.WriteString("serving\n")
		for {
			time.Sleep(time.Hour) // (a bare select{} would be a deadlock the runtime ends)
		}
	}
}

// hang bounds a wait that only a bug makes long.
const hang = 30 * time.Second

// start starts the test binary as helper mode, detached, and waits until it serves.
func start(t *testing.T, mode string) *procrun.Proc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err := procrun.Start(procrun.Spec{Bin: os.Args[0], Env: append(os.Environ(), helperEnv+"="+mode), Out: w, Mode: procrun.Detached})
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
	// a from its PID file (as make down sees it), b as started (as make up sees it): a
	// stops on SIGTERM, b needs SIGKILL.
	killed := map[int]bool{}
	left := procrun.Stop(time.Second, hang, func(i int, k bool) { killed[i] = k }, ra, b)
	if len(left) != 0 || len(killed) != 2 || killed[0] || !killed[1] {
		t.Fatalf("left %v, ended %v: want both ended, only the second killed", left, killed)
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
