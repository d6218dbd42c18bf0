package proctest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
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
			entries[i].once.Do(func() { entries[i].bin, entries[i].err = build(root, dir, pkg) })
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

// build builds the main package pkg (a path from root) into dir, from its module's folder.
func build(root, dir, pkg string) (string, error) {
	goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build %s: %v", pkg, err)
	}
	pkgDir := filepath.Join(root, filepath.FromSlash(pkg))
	moduleDir, err := moduleOf(pkgDir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(moduleDir, pkgDir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkgDir))
	cmd := exec.Command(goTool, "build", "-ldflags=-s -w", "-o", out, "./"+filepath.ToSlash(rel))
	cmd.Dir = moduleDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./%s in %s: %v\n%s", rel, moduleDir, err, msg)
	}
	return out, nil
}

// moduleOf returns the nearest folder at or above dir that holds a go.mod.
func moduleOf(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod at or above %s", dir)
		}
	}
}

// Root returns the repository's root: the nearest folder at or above the working directory
// (a test's package folder) that holds go.work.
func Root() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work at or above %s: run the test inside the repository", wd)
		}
	}
}

// ServiceCmd is the main package of service name, for Binaries: services/<name>/cmd/<name>.
func ServiceCmd(name string) string { return "services/" + name + "/cmd/" + name }
