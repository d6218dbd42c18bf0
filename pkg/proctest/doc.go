// Package proctest runs Grantflow's binaries as real processes in tests: the kill, fault
// and end-to-end suites (services/audit/killtest, tests/reliability, tests/distributed)
// share it. It is the testing side of pkg/procrun, the process harness that `make up`
// uses too: the builds, starts and stops are procrun's.
//
//   - [Binaries] builds main packages, given by their path from the repository root, once
//     per test binary and in parallel, each from its own module folder (so the build works
//     with and without the go.work workspace). [Main], a TestMain, removes them when the tests end and checks
//     for leaked goroutines.
//   - [New] prepares a process whose output goes to a log file; the file's tail is printed
//     when the test fails. [Process.Start], [Process.Kill9], [Process.Stop] (SIGTERM, then
//     SIGKILL after a deadline) and [Process.Run] (to its end, e.g. "migrate") drive it;
//     [Process.Exited] tells a process that died on its own from one the test stopped.
//   - No orphans: on Linux every child gets PR_SET_PDEATHSIG=SIGKILL, so the kernel kills
//     it when the test binary dies without running its cleanups (a -timeout panic, a
//     SIGKILL); the cleanups kill whatever is still running otherwise.
//   - [FreeAddr] picks a loopback port below the kernel's ephemeral range, [BaseEnv] is the
//     test's environment without GRANTFLOW_* and OTEL_*, and [Poll] waits for a condition
//     under a deadline that only bounds a hang.
//
// proctest is for tests only. It imports the standard library and goleak only, and must
// not import services or any production package.
package proctest
