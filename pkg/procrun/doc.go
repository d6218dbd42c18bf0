// Package procrun runs Grantflow's binaries as processes: the one process harness under
// both the test suites' pkg/proctest and the developer's `make up` / `make down`
// (deploy/cmd/gfops up, down).
//
//   - [Root] finds the repository, [Build] builds a main package from its own module folder
//     (so the build works with and without the go.work workspace).
//   - [Start] starts a binary with its output appended to a log; the process either dies with
//     its parent (tests: [Attached], PR_SET_PDEATHSIG on Linux) or runs on in its own
//     session after the command that started it has exited ([Detached], make up). [Proc]
//     is one started process: its PID, a channel closed when it has exited and been reaped.
//   - [WritePID] and [Recorded] keep a detached process across commands in a PID file that
//     also holds the process's start time, so that a PID the system has since given to
//     another process is never signalled.
//   - [Stop] stops processes, started here or recorded: SIGTERM, a grace period, then
//     SIGKILL for those still running.
//
// procrun imports the standard library only, and knows no service.
package procrun
