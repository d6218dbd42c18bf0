//go:build !linux

package procrun

import "os/exec"

// attach: only Linux can tie a child's life to its parent's; elsewhere a test that dies
// without its cleanups may leave its processes running.
func attach(*exec.Cmd) {}
