//go:build unix

package procrun

import (
	"os/exec"
	"syscall"
)

// detach starts cmd in a session of its own, so that the terminal's Ctrl-C or hang-up does
// not reach it and it outlives the command that started it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
