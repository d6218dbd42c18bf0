//go:build !linux

package reliability_test

import "os/exec"

// dieWithTheTest: only Linux can tie a child's life to its parent's; elsewhere a test that
// dies without its cleanups may leave the servers running.
func dieWithTheTest(*exec.Cmd) {}
