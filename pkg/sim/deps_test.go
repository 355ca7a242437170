package sim

import (
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// forbidden are the import path prefixes of container engines, registries
// and compose files, which the simulator's core must not link: containers
// are a runtime the CLI injects (pkg/sim/container).
var forbidden = []string{
	"github.com/moby/",
	"github.com/docker/",
	"github.com/google/go-containerregistry/",
	"github.com/compose-spec/",
	// Shaping real traffic (pkg/sim/container/shape) is the runtime's.
	"github.com/google/nftables/",
	"github.com/mdlayher/",
}

// runtimes are the packages under pkg/sim that may link them: the
// runtimes themselves.
var runtimes = []string{"github.com/xedgesim/simulate/pkg/sim/container"}

// TestCoreLinksNoContainerEngine lists every package the core depends on
// and fails on any container engine, registry or compose package, naming
// who imports it.
func TestCoreLinksNoContainerEngine(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	root := moduleRoot(t, goCmd)
	var core []string
	for _, p := range goList(t, goCmd, root, "./pkg/sim/...") {
		if !slices.ContainsFunc(runtimes, func(r string) bool { return p == r || strings.HasPrefix(p, r+"/") }) {
			core = append(core, p)
		}
	}
	if len(core) < 4 {
		t.Fatalf("go list ./pkg/sim/... found %v; want the kernel, node, event and netmodel", core)
	}
	args := append([]string{"-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, core...)
	args = append(args, "./pkg/gate", "./pkg/metrics", "./pkg/report", "./pkg/scenario")
	for _, line := range goList(t, goCmd, root, args...) {
		pkg, imports, _ := strings.Cut(line, " ")
		if isForbidden(pkg) {
			t.Errorf("the core depends on %s", pkg)
		}
		for _, imp := range strings.Fields(imports) {
			if isForbidden(imp) && !isForbidden(pkg) {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

func isForbidden(pkg string) bool {
	return slices.ContainsFunc(forbidden, func(p string) bool { return strings.HasPrefix(pkg+"/", p) })
}

func moduleRoot(t *testing.T, goCmd string) string {
	t.Helper()
	out, err := exec.Command(goCmd, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD = %q, %v", out, err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func goList(t *testing.T, goCmd, dir string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(goCmd, append([]string{"list"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
