package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// toolCache is where the test bed keeps the tools it builds from tools/;
// the bench keeps its own there too, under <name>-<version>.
const toolCache = "/var/cache/xedgesim/tools"

// toolVersion reads MODULE's version from tools/<file>, the one place a
// tool is pinned (scripts/testbed's tool_version does the same).
func toolVersion(root, file, module string) (string, error) {
	path := filepath.Join(root, "tools", file)
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the pin of %s: %w", module, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == module {
			return fs[1], nil
		}
	}
	return "", fmt.Errorf("%s does not pin %s", path, module)
}

// buildTool returns the cached binary of PKG pinned by the module in
// tools/<dir>, building it first (CGO_ENABLED=0, static, trimmed) when the
// cache lacks it. Like scripts/testbed, a fresh binary goes into place by a
// directory rename, so a reader never sees half a file.
func buildTool(env *Env, dir, module, pkg, name string) (string, error) {
	version, err := toolVersion(env.Root, filepath.Join(dir, "go.mod"), module)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(toolCache, name+"-"+version, name)
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		fmt.Fprintf(os.Stderr, "bench: using %s\n", bin)
		return bin, nil
	}
	if err := os.MkdirAll(toolCache, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", toolCache, err)
	}
	tmp, err := os.MkdirTemp(toolCache, ".build-")
	if err != nil {
		return "", fmt.Errorf("creating a build directory in %s: %w", toolCache, err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(os.Stderr, "bench: building %s %s from tools/%s into %s (a minute or two, once)\n", pkg, version, dir, bin)
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", filepath.Join(tmp, name), pkg)
	cmd.Dir = filepath.Join(env.Root, "tools", dir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s %s: %w\n%s", pkg, version, err, tail(out, 2000))
	}
	if err := os.RemoveAll(filepath.Dir(bin)); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Dir(bin)); err != nil {
		return "", fmt.Errorf("caching %s: %w", bin, err)
	}
	fmt.Fprintf(os.Stderr, "bench: built %s in %s\n", bin, time.Since(start).Round(time.Second))
	return bin, nil
}
