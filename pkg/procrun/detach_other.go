//go:build !unix

package procrun

import "os/exec"

// detach: without sessions the process simply runs on after its parent exits.
func detach(*exec.Cmd) {}
