package proctest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// helperEnv makes the test binary act as a child process instead of running the tests.
const helperEnv = "PROCTEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "serve": // wait for SIGTERM and exit cleanly
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		os.Stdout.WriteString("serving\n")
		<-sig
		os.Exit(0)
	case "exit": // exit at once, as a crash would
		os.Exit(3)
	case "parent": // start a child that dies with this process, print its pid, wait
		child := procrun.Command(os.Args[0], append(os.Environ(), helperEnv+"=serve"))
		runtime.LockOSThread() // the death signal follows the thread that started the child
		if err := child.Start(); err != nil {
			os.Exit(1)
		}
		os.Stdout.WriteString(strconv.Itoa(child.Process.Pid) + "\n")
		select {}
	}
}

func helper(t *testing.T, mode string) *Process {
	return New(t, mode, os.Args[0], append(BaseEnv(), helperEnv+"="+mode))
}

func TestKill9AndRestart(t *testing.T) {
	p := helper(t, "serve")
	p.Start()
	Poll(t, 30*time.Second, "the helper to serve", func() (bool, string) {
		p.CheckAlive()
		n := p.Count(func(l string) bool { return l == "serving" })
		return n == 1, strconv.Itoa(n)
	})
	p.Kill9()
	if err := p.Exited(); err != nil {
		t.Fatalf("a process the test killed counts as exited on its own: %v", err)
	}
	p.Start()
	p.MarkReady()
	Poll(t, 30*time.Second, "the restarted helper to serve", func() (bool, string) {
		n := p.Count(func(l string) bool { return l == "serving" })
		return n == 2, strconv.Itoa(n)
	})
	p.Stop() // SIGTERM: a clean exit, or the test fails
	if p.Starts() != 2 {
		t.Fatalf("starts = %d, want 2", p.Starts())
	}
}

func TestExitedOnItsOwn(t *testing.T) {
	p := helper(t, "exit")
	p.Start()
	var err error
	Poll(t, 30*time.Second, "the helper to exit", func() (bool, string) {
		err = p.Exited()
		return err != nil, "still running"
	})
	if !strings.Contains(err.Error(), "exited on its own") {
		t.Fatalf("Exited() = %v", err)
	}
	if err := p.Run(); err == nil {
		t.Fatal("Run of a binary that exits 3 reported no failure")
	}
}

// TestNoOrphanWhenTheTestDies kills a parent process with SIGKILL (no cleanups run) and
// expects the kernel to kill the child it started.
func TestNoOrphanWhenTheTestDies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux ties a child's life to its parent's")
	}
	parent := exec.Command(os.Args[0])
	parent.Env = append(os.Environ(), helperEnv+"=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = parent.Process.Kill()
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	_ = parent.Process.Kill()
	_ = parent.Wait()
	Poll(t, 30*time.Second, "the orphan to die", func() (bool, string) {
		// The child is reparented (to init or a subreaper), which reaps it: once gone,
		// signal 0 finds no such process.
		err := syscall.Kill(pid, 0)
		return errors.Is(err, syscall.ESRCH), "pid " + strconv.Itoa(pid) + " still there"
	})
}

func TestBaseEnvDropsTheDevelopersSettings(t *testing.T) {
	t.Setenv("GRANTFLOW_POSTGRES_URL", "postgres://elsewhere")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")
	env := BaseEnv("GRANTFLOW_LOG_LEVEL=warn")
	for _, kv := range env {
		if strings.HasPrefix(kv, "GRANTFLOW_POSTGRES_URL=") || strings.HasPrefix(kv, "OTEL_EXPORTER_OTLP_ENDPOINT=") {
			t.Errorf("BaseEnv kept %s", kv)
		}
	}
	if env[len(env)-1] != "GRANTFLOW_LOG_LEVEL=warn" || env[len(env)-2] != "OTEL_TRACES_EXPORTER=none" {
		t.Errorf("BaseEnv ends with %q, want tracing off, then the extras", env[len(env)-2:])
	}
}

func TestFreeAddrIsBelowTheEphemeralRange(t *testing.T) {
	addr := FreeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	if n, _ := strconv.Atoi(port); n < 10000 || n >= max(10001, ephemeralLow()) {
		t.Fatalf("FreeAddr() = %s, want a port in [10000, %d)", addr, ephemeralLow())
	}
}
