package procrun

import (
	"os/exec"
	"syscall"
)

// attach has the kernel kill cmd when the thread that started it dies (PR_SET_PDEATHSIG):
// a test binary that ends without its cleanups (a -timeout panic, a SIGKILL) leaves no
// process behind.
func attach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
