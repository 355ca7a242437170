package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

var helloImage struct {
	once sync.Once
	dir  string
	err  string
}

// buildHello builds nodes/hello for two platforms into an OCI layout.
func buildHello(t *testing.T) string {
	t.Helper()
	h := &helloImage
	h.once.Do(func() {
		id := make([]byte, 6)
		_, _ = rand.Read(id)
		dir, err := os.MkdirTemp(filepath.Dir(xedgesim), "hello")
		if err != nil {
			h.err = err.Error()
			return
		}
		h.dir = filepath.Join(dir, "hello")
		if r := cli(t, "build", "--go", "../../nodes/hello", "--platform", "linux/amd64,linux/arm64",
			"--label", "xedgesim.test=res-"+hex.EncodeToString(id), "--output", "oci:"+h.dir); r.code != 0 {
			h.err = "build: exit " + r.stderr
		}
	})
	if h.err != "" {
		t.Fatal(h.err)
	}
	return h.dir
}

// TestContainerResources: a container that holds 100 MiB peaks between 95
// and 130 MiB as the engine's stats count it, and its twin limited to
// docker.memory: 64m is killed by the kernel, which oom_kills counts.
// Both figures are in summary.json and the Markdown report.
func TestContainerResources(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	hello := buildHello(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "resources.yaml")
	src := `simulation: {duration_s: 6, seed: 1}
nodes:
  - id: holder
    type: app
    implementation: docker
    docker: {image: "oci:` + hello + `", command: [-hold-mb, "100"], health: {http: 8080/healthz}}
  - id: capped
    type: app
    implementation: docker
    docker: {image: "oci:` + hello + `", command: [-hold-mb, "100"], memory: 64m, restart: on-failure}
validation:
  assertions:
    - {metric: memory_peak_mb, operator: gte, value: 95, where: {node: holder}}
    - {metric: memory_peak_mb, operator: lte, value: 130, where: {node: holder}}
    - {metric: oom_kills, operator: gte, value: 1, where: {node: capped}}
    - {metric: oom_kills, operator: eq, value: 0, where: {node: holder}}
    - {metric: cpu_avg_pct, operator: lte, value: 100, where: {node: holder}}
    - {metric: cpu_peak_pct, operator: gte, value: 0, where: {node: holder}}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, file)
	code := p.wait(t, 3*time.Minute)
	checkGone(t, env, p.cmd.Process.Pid, "")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	s := readGateSummary(t, out)
	if len(s.Assertions) != 6 || s.Verdict != "pass" {
		t.Errorf("verdict %q with %d assertions, want pass with the scenario's 6", s.Verdict, len(s.Assertions))
	}
	for _, a := range s.Assertions {
		if !a.Passed {
			t.Errorf("%s %v failed: actual %g", a.Metric, a.Where, a.Actual)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Container resources") || !strings.Contains(string(md), "| capped | ") {
		t.Errorf("summary.md has no resources table:\n%s", md)
	}
}
