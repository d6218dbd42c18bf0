//go:build !linux

package proctest

import "os/exec"

// dieWithTheTest: only Linux can tie a child's life to its parent's; elsewhere a test that
// dies without its cleanups may leave its processes running.
func dieWithTheTest(*exec.Cmd) {}
