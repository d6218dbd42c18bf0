package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// cpuWatch reads the CPU time (user + system) of the processes make up started (their
// pid files), of PostgreSQL, and of the load generator itself, so that a run reports the
// CPU one lifecycle costs in each process. CPU is kept per process id: a process that
// starts during the run counts whole, and the sums never go backwards when another
// process ends.
//
// PostgreSQL: with pgProcs (loadgen life -pg), "postgresql" is the backends connected to
// the services' database and "postgresql-bg" the server's background processes (WAL
// writer, checkpointer, autovacuum, ...: shared with any other database on the server).
// Without it, "postgresql" is every process of the server, other databases' work
// included, with the postmaster's reaped children (backends that ended) in it.
type cpuWatch struct {
	pidDir  string
	pgProcs func() (ours, background []int, err error)
	before  map[string]map[int]float64
}

var clockTick = 100.0 // USER_HZ: Linux reports /proc times in 1/100 s

// procCPU returns the CPU seconds of pid from /proc/pid/stat (with its reaped children's
// when children is set), and its command name.
func procCPU(pid int, children bool) (float64, string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < 0 || end+2 > len(s) {
		return 0, "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[end+2:]) // from field 3 (state)
	if len(f) < 15 {
		return 0, "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var t float64
	fields := []int{11, 12} // utime, stime (fields 14, 15)
	if children {
		fields = append(fields, 13, 14) // cutime, cstime (fields 16, 17)
	}
	for _, i := range fields {
		v, _ := strconv.ParseFloat(f[i], 64)
		t += v
	}
	return t / clockTick, s[open+1 : end], nil
}

func (c *cpuWatch) read() map[string]map[int]float64 {
	out := map[string]map[int]float64{}
	put := func(name string, pid int, t float64) {
		if out[name] == nil {
			out[name] = map[int]float64{}
		}
		out[name][pid] = t
	}
	files, _ := filepath.Glob(filepath.Join(c.pidDir, "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b))
		if len(fields) == 0 {
			continue
		}
		pid, err := strconv.Atoi(fields[0])
		if err != nil {
			continue
		}
		if t, _, err := procCPU(pid, false); err == nil {
			put(strings.TrimSuffix(filepath.Base(f), ".pid"), pid, t)
		}
	}
	if c.pgProcs != nil {
		if ours, bg, err := c.pgProcs(); err == nil {
			for _, pid := range ours {
				if t, _, err := procCPU(pid, false); err == nil {
					put("postgresql", pid, t)
				}
			}
			for _, pid := range bg {
				if t, _, err := procCPU(pid, false); err == nil {
					put("postgresql-bg", pid, t)
				}
			}
		}
	} else {
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil {
				continue
			}
			if t, comm, err := procCPU(pid, true); err == nil && (comm == "postgres" || strings.HasPrefix(comm, "postgres:")) {
				put("postgresql", pid, t)
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		put("loadgen", 0, float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9)
	}
	return out
}

func (c *cpuWatch) start() { c.before = c.read() }

// delta returns CPU milliseconds per lifecycle by process, and the total.
func (c *cpuWatch) delta(lifecycles int) map[string]float64 {
	after := c.read()
	out := map[string]float64{}
	if lifecycles == 0 {
		return out
	}
	for name, pids := range after {
		var sum float64
		for pid, t := range pids {
			if b, ok := c.before[name][pid]; ok {
				sum += max(t-b, 0)
			} else {
				sum += t // started during the run
			}
		}
		out[name] = sum * 1000 / float64(lifecycles)
		out["total"] += out[name]
	}
	return out
}

func printCPU(w io.Writer, perLifecycle map[string]float64, seconds float64) {
	if len(perLifecycle) == 0 {
		return
	}
	var parts []string
	for _, n := range sortedKeys(perLifecycle) {
		if n != "total" {
			parts = append(parts, fmt.Sprintf("%s %.2f", n, perLifecycle[n]))
		}
	}
	fmt.Fprintf(w, "  CPU per lifecycle, whole run: %.2f ms (%s)\n", perLifecycle["total"], strings.Join(parts, ", "))
	_ = seconds
}

// machineCPU returns the machine's total and idle CPU time (all cores, in ticks) from
// /proc/stat.
func machineCPU() (total, idle float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected format")
	}
	for i, v := range f[1:] {
		x, _ := strconv.ParseFloat(v, 64)
		total += x
		if i == 3 || i == 4 { // idle, iowait
			idle += x
		}
	}
	return total, idle, nil
}
