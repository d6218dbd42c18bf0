package procrun

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// WritePID records the process pid in the PID file path: "PID START-TIME", the start time
// being field 22 of /proc/PID/stat (clock ticks since boot; empty where /proc is missing).
func WritePID(path string, pid int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(fmt.Sprintf("%d %s\n", pid, startTime(pid))), 0o644)
}

// Recorded is a process known from its PID file.
type Recorded struct {
	PID   int
	start string // "" when unknown

	once sync.Once
	done chan struct{}
}

// ReadPID returns the process recorded in the PID file path when that very process is still
// alive: not a zombie, and with the start time recorded (a PID the system has since given to
// another process is not it).
func ReadPID(path string) (*Recorded, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return nil, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return nil, false
	}
	r := &Recorded{PID: pid}
	if len(f) > 1 {
		r.start = f[1]
	}
	return r, r.Alive()
}

// Alive reports whether the recorded process still runs.
func (r *Recorded) Alive() bool {
	if !alive(r.PID) {
		return false
	}
	now := startTime(r.PID)
	return r.start == "" || now == "" || now == r.start
}

// Signal sends sig to the process, unless it is no longer the one recorded.
func (r *Recorded) Signal(sig syscall.Signal) error {
	if !r.Alive() {
		return os.ErrProcessDone
	}
	p, err := os.FindProcess(r.PID)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}

// DonePoll is how often a Recorded process's Done checks whether it still runs (it is
// another command's child: there is nothing to wait on).
const DonePoll = 50 * time.Millisecond

// Done is closed once the process no longer runs. Watching starts with the first call
// and lasts as long as the process does.
func (r *Recorded) Done() <-chan struct{} {
	r.once.Do(func() {
		r.done = make(chan struct{})
		go func() {
			for r.Alive() {
				time.Sleep(DonePoll)
			}
			close(r.done)
		}()
	})
	return r.done
}

// alive reports whether pid exists and is not a zombie awaiting its reaper.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	state, _, ok := stat(pid)
	return !ok || state != "Z"
}

// startTime is field 22 of /proc/PID/stat, "" where /proc is missing.
func startTime(pid int) string {
	_, start, _ := stat(pid)
	return start
}

// stat reads the state (field 3) and start time (field 22) of /proc/PID/stat.
func stat(pid int) (state, start string, ok bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", false
	}
	s := string(raw)
	i := strings.LastIndex(s, ") ") // the command name, in parentheses, may hold anything
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 20 {
		return "", "", false
	}
	return f[0], f[19], true
}
