package main

import (
	"strings"
	"testing"
)

// Two samples as perf script -F comm,pid,tid,period,ip,sym,dso prints them: a timer tick in
// user code (its interrupt frames are the user code's time and are dropped), and a system
// call (its kernel frames fold into one "[kernel] <entry>" frame).
const script = `request  8266/8270     2004008 
	ffffffff813a2313 finish_task_switch.isra.0 ([kernel.kallsyms])
	ffffffff81000e06 asm_sysvec_apic_timer_interrupt ([kernel.kallsyms])
	           43a24 runtime.mallocgc+0x2c (/bin/request)
	           3fe25 main.handle (/bin/request)

task  8287/8882     2004008 
	ffffffff81aa0000 do_syscall_64 ([kernel.kallsyms])
	ffffffff81aa0001 entry_SYSCALL_64_after_hwframe ([kernel.kallsyms])
	           91fa1 syscall.write+0x10 (/bin/task)
	           91fa2 [unknown] (/bin/task)

`

func TestConvert(t *testing.T) {
	p, n, err := convert(strings.NewReader(script), false)
	if err != nil || n != 2 {
		t.Fatalf("%d samples, %v", n, err)
	}
	stack := func(i int) []string {
		var out []string
		for _, l := range p.Sample[i].Location {
			out = append(out, l.Line[0].Function.Name)
		}
		return out
	}
	if got, want := strings.Join(stack(0), " < "), "runtime.mallocgc < main.handle < process request"; got != want {
		t.Errorf("timer sample: %s, want %s", got, want)
	}
	if got, want := strings.Join(stack(1), " < "), "[kernel] entry_SYSCALL_64_after_hwframe < syscall.write < [unknown /bin/task] < process task"; got != want {
		t.Errorf("syscall sample: %s, want %s", got, want)
	}
	if p.Sample[1].Value[1] != 2004008 || p.Sample[1].Label["process"][0] != "task" {
		t.Errorf("sample: %+v", p.Sample[1])
	}
	if _, _, err := convert(strings.NewReader("nothing here\n"), false); err == nil {
		t.Error("no samples converted without an error")
	}
}
