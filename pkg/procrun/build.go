package procrun

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Root returns the repository's root: the nearest folder at or above the working directory
// that holds go.work.
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
			return "", fmt.Errorf("no go.work at or above %s: run it inside the repository", wd)
		}
	}
}

// Build builds the main package pkg (a path from root, e.g. "services/audit/cmd/audit")
// into dir, from its module's folder, with the go command on PATH and the extra go build
// flags given; it returns the binary's path (dir/<last element of pkg>).
func Build(root, dir, pkg string, flags ...string) (string, error) {
	goTool, err := exec.LookPath("go")
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
	args := append(append([]string{"build"}, flags...), "-o", out, "./"+filepath.ToSlash(rel))
	cmd := exec.Command(goTool, args...)
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
			return "", errors.New("no go.mod at or above " + dir)
		}
	}
}
