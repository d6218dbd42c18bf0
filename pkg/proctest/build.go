package proctest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grantflow/grantflow/pkg/procrun"
)

// builds holds the binaries built by this test binary, by path from the repository root.
var builds struct {
	mu   sync.Mutex
	dir  string                 // one temporary folder for all of them
	bins map[string]*buildEntry // main package path -> its build
	took time.Duration          // wall time spent building, summed over calls
}

type buildEntry struct {
	once sync.Once
	bin  string
	err  error
}

// Binaries returns the built binary of each main package, given by its path from the
// repository root (e.g. "services/audit/cmd/audit", "gateway/cmd/gateway"), keyed by the
// package folder's last element ("audit", "gateway"). Each package is built once per test
// binary, with the go command that runs the test, from its own module folder; the packages
// of one call build in parallel. Symbols and DWARF are left out (-s -w): linking takes half
// as long, and panics still print their stacks.
func Binaries(t testing.TB, pkgs ...string) map[string]string {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	entries := make([]*buildEntry, len(pkgs))
	builds.mu.Lock()
	if builds.bins == nil {
		builds.bins = map[string]*buildEntry{}
	}
	if builds.dir == "" {
		if builds.dir, err = os.MkdirTemp("", "grantflow-proctest-bin-"); err != nil {
			builds.mu.Unlock()
			t.Fatal(err)
		}
	}
	dir := builds.dir
	for i, pkg := range pkgs {
		if builds.bins[pkg] == nil {
			builds.bins[pkg] = &buildEntry{}
		}
		entries[i] = builds.bins[pkg]
	}
	builds.mu.Unlock()

	var wg sync.WaitGroup
	for i, pkg := range pkgs {
		wg.Go(func() {
			entries[i].once.Do(func() { entries[i].bin, entries[i].err = procrun.Build(root, dir, pkg, "-ldflags=-s -w") })
		})
	}
	wg.Wait()
	builds.mu.Lock()
	builds.took += time.Since(began)
	builds.mu.Unlock()

	bins := make(map[string]string, len(pkgs))
	var failures []error
	for i, pkg := range pkgs {
		if entries[i].err != nil {
			failures = append(failures, entries[i].err)
		}
		bins[filepath.Base(pkg)] = entries[i].bin
	}
	if err := errors.Join(failures...); err != nil {
		t.Fatal(err)
	}
	return bins
}

// BuildTime is the wall time the test binary has spent in Binaries so far.
func BuildTime() time.Duration {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	return builds.took
}

// Main is a TestMain for suites that run processes: it runs the tests, says how long
// building the binaries took, removes them, and fails the package when a test left
// goroutines behind (goleak, with opts), then exits.
func Main(m *testing.M, opts ...goleak.Option) {
	began := time.Now()
	code := m.Run()
	if took := BuildTime(); took > 0 {
		fmt.Printf("proctest: the package took %s, of which %s to build the binaries\n",
			time.Since(began).Round(time.Millisecond), took.Round(time.Millisecond))
	}
	builds.mu.Lock()
	dir := builds.dir
	builds.mu.Unlock()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	if code == 0 {
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Root returns the repository's root: the nearest folder at or above the working directory
// (a test's package folder) that holds go.work.
func Root() (string, error) { return procrun.Root() }

// ServiceCmd is the main package of service name, for Binaries: services/<name>/cmd/<name>.
func ServiceCmd(name string) string { return "services/" + name + "/cmd/" + name }
