package proctest

import (
	"os/exec"
	"syscall"
)

// dieWithTheTest has the kernel kill cmd when the test process dies, e.g. on a test
// timeout, which ends the test binary without running its cleanups.
func dieWithTheTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
