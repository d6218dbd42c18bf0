// Command perf2pprof turns the text of `perf script` (samples with call chains, from
// `perf record -g`) into a pprof CPU profile, so that `go tool pprof` reads a profile of
// Grantflow's processes taken from outside while they run under load: the services expose
// no pprof endpoint, and perf needs nothing from them (Go keeps frame pointers, so perf's
// call chains are whole).
//
//	perf record -F 499 -g -p PID1,PID2,... -o perf.data -- sleep 20
//	perf script -i perf.data -F comm,pid,tid,period,ip,sym,dso | perf2pprof -o cpu.pb.gz
//	go tool pprof -top -cum cpu.pb.gz
//
// Each sample's stack gets a root frame naming its process ("process request"), and the
// label "process", so that -focus or -tagfocus can keep one process.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

func main() {
	in := flag.String("i", "-", "perf script output (- for stdin)")
	out := flag.String("o", "cpu.pb.gz", "the pprof profile to write")
	kernel := flag.Bool("kernel", false, "keep every kernel frame (default: a system call's or fault's kernel frames fold into one \"[kernel] <entry>\" frame)")
	flag.Parse()
	r := io.Reader(os.Stdin)
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		r = f
	}
	p, n, err := convert(r, *kernel)
	if err != nil {
		fail(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := p.Write(f); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "perf2pprof: %d samples -> %s\n", n, *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "perf2pprof:", err)
	os.Exit(1)
}

// header: "request  8266/8270  2004008:" (comm, pid/tid, period); comm may hold spaces.
var header = regexp.MustCompile(`^(\S.*?)\s+(\d+)/(\d+)\s+(\d+)\s*:?\s*$`)

// frame: "	  4a1b2c runtime.mallocgc+0x2c (/path/to/binary)".
var frame = regexp.MustCompile(`^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$`)

type builder struct {
	p     *profile.Profile
	funcs map[string]*profile.Function
	locs  map[string]*profile.Location
}

func (b *builder) loc(name, file string) *profile.Location {
	key := name + "\x00" + file
	if l, ok := b.locs[key]; ok {
		return l
	}
	fn, ok := b.funcs[key]
	if !ok {
		fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: name, SystemName: name, Filename: file}
		b.p.Function = append(b.p.Function, fn)
		b.funcs[key] = fn
	}
	l := &profile.Location{ID: uint64(len(b.p.Location) + 1), Line: []profile.Line{{Function: fn}}}
	b.p.Location = append(b.p.Location, l)
	b.locs[key] = l
	return l
}

func convert(r io.Reader, kernel bool) (*profile.Profile, int, error) {
	b := &builder{
		p: &profile.Profile{
			SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
			PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		},
		funcs: map[string]*profile.Function{}, locs: map[string]*profile.Location{},
	}
	var (
		comm   string
		period int64
		stack  []*profile.Location
		kstack []string // the kernel frames on top of the sample, innermost first
		n      int
	)
	// endKernel puts the sample's kernel frames on its stack. A timer interrupt that
	// landed in user code (a chain ending in an interrupt entry) is the user code's time:
	// its kernel frames are dropped. Other kernel time (system calls, page faults) stays,
	// folded into one "[kernel]" frame unless -kernel.
	endKernel := func() {
		if len(kstack) == 0 {
			return
		}
		last := kstack[len(kstack)-1]
		if strings.HasPrefix(last, "asm_sysvec_") || strings.HasPrefix(last, "asm_common_interrupt") || last == "ret_from_intr" {
			kstack = nil
			return
		}
		if kernel {
			for _, k := range kstack {
				stack = append(stack, b.loc(k, "[kernel.kallsyms]"))
			}
		} else {
			stack = append(stack, b.loc("[kernel] "+last, ""))
		}
		kstack = nil
	}
	flush := func() {
		if comm == "" {
			return
		}
		endKernel()
		stack = append(stack, b.loc("process "+comm, ""))
		b.p.Sample = append(b.p.Sample, &profile.Sample{
			Location: stack, Value: []int64{1, period}, Label: map[string][]string{"process": {comm}},
		})
		n++
		comm, stack = "", nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if m := frame.FindStringSubmatch(line); m != nil && comm != "" {
			sym, dso := m[2], m[3]
			if i := strings.LastIndex(sym, "+0x"); i > 0 {
				sym = sym[:i]
			}
			if strings.Contains(dso, "kernel") || strings.HasPrefix(dso, "[") {
				kstack = append(kstack, sym)
				continue
			}
			endKernel()
			if sym == "[unknown]" {
				sym = "[unknown " + dso + "]"
			}
			stack = append(stack, b.loc(sym, dso))
			continue
		}
		if m := header.FindStringSubmatch(line); m != nil {
			flush()
			comm = m[1]
			period, _ = strconv.ParseInt(m[4], 10, 64)
			if period == 0 {
				period = 1
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("no samples found (want `perf script -F comm,pid,tid,period,ip,sym,dso` of a perf record -g)")
	}
	return b.p, n, b.p.CheckValid()
}
