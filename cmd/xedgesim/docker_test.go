package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBrokenImageFailsTheGate is issue 5's broken-broker case: a container
// that exits fails the gate with exit 2, on the node's line, and the
// reports carry its last log lines.
func TestBrokenImageFailsTheGate(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartDocker)
	dir := t.TempDir()
	img := filepath.Join(dir, "echo.tar")
	if r := cli(t, "build", "--go", "../../nodes/echo", "--platform", "linux/amd64", "--output", "tar:"+img); r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.stderr)
	}
	scen := filepath.Join(dir, "broken.yaml")
	src := `simulation: {duration_s: 5, seed: 1}
nodes:
  - id: broker
    type: broker
    implementation: docker
    port: 5000
    docker: {image: "tar:` + img + `", command: [-addr, "256.0.0.1:1"], health: {tcp: 5000, timeout_s: 10}}
`
	if err := os.WriteFile(scen, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	r := runBinary(t, []string{"DOCKER_HOST=" + env.DockerHost}, "simulate", "--out", out, scen)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	junit, _ := os.ReadFile(filepath.Join(out, "junit.xml"))
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	summary, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	for name, data := range map[string][]byte{"junit.xml": junit, "summary.md": md, "summary.json": summary} {
		for _, want := range []string{"healthy", "container exited with code", "last log lines"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %q:\n%s", name, want, data)
			}
		}
	}
	if !strings.Contains(string(summary), `"verdict": "fail"`) || !strings.Contains(string(summary), `"line": 3`) {
		t.Errorf("summary.json: want verdict fail on line 3:\n%s", summary)
	}
}
