package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// The process commands, for the other processes kept in make up's state folder (make jaeger):
//
//	gfops start NAME BIN [ARGS...]   start BIN detached, output appended to logs/NAME.log, PID in pids/NAME.pid
//	gfops stop NAME...               stop them (SIGTERM, GRANTFLOW_STOP_TIMEOUT, SIGKILL)
//	gfops pid NAME                   print NAME's PID and exit 0 when it runs, else exit 3
//
// make down leaves alone the ones it does not know to be Grantflow's (jaeger).

// errNotRunning is gfops pid's answer for a process that does not run (exit status 3).
var errNotRunning = errors.New("not running")

func procCommand(cmd string, args []string, out, errOut io.Writer) error {
	s, err := newState(out, errOut)
	if err != nil {
		return err
	}
	switch cmd {
	case "start":
		if len(args) < 2 {
			return errors.New(usage)
		}
		name := args[0]
		if r, ok := procrun.ReadPID(s.pidFile(name)); ok {
			return fmt.Errorf("%s is already running (pid %d)", name, r.PID)
		}
		log, err := procrun.AppendLog(s.logFile(name))
		if err != nil {
			return err
		}
		defer log.Close()
		_, _ = io.WriteString(log, procrun.Header(name))
		p, err := procrun.Start(procrun.Spec{Bin: args[1], Args: args[2:], Env: os.Environ(), Out: log, Mode: procrun.Detached})
		if err != nil {
			return err
		}
		return procrun.WritePID(s.pidFile(name), p.PID())
	case "stop":
		stopNames(s, args)
		return nil
	case "pid":
		if len(args) != 1 {
			return errors.New(usage)
		}
		r, ok := procrun.ReadPID(s.pidFile(args[0]))
		if !ok {
			return errNotRunning
		}
		fmt.Fprintln(out, strconv.Itoa(r.PID))
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}
