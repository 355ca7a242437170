package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var xedgesim string

// TestMain builds the binary once; the tests run it as users do and check
// exit codes and files.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xedgesim-cli")
	if err != nil {
		panic(err)
	}
	xedgesim = filepath.Join(dir, "xedgesim")
	// Static, as make build makes it: docker nodes' shaping helpers run it
	// in a scratch image.
	build := exec.Command("go", "build", "-o", xedgesim, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// cli runs the CLI in process, as main does, with the test's environment.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	return cliEnv(t, nil, args...)
}

// cliEnv runs the CLI in process with extra environment variables (KEY=VALUE,
// an empty value unsets) over the test's own. Only what the verbs read through
// run's getenv sees them: tests of libraries that read the process
// environment themselves (the Docker client's DOCKER_HOST) use runBinary.
func cliEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	over := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		over[k] = v
	}
	getenv := func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	var out, errb bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(""), &out, &errb, getenv)
	return result{code, out.String(), errb.String()}
}

// runBinary runs the built binary with extra environment variables, for
// what only a process shows: signals, exit codes, the process environment.
func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(xedgesim, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		files[e.Name()] = string(b)
	}
	return files
}

const m0 = "../../scenarios/m0_baseline.yaml"

func TestSimulateM0ReproducesUpstreamAndItself(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		r := cli(t, "simulate", "--csv", "--out", dir, m0)
		if r.code != 0 || !strings.Contains(r.stdout, "m0_baseline (seed 42): pass") {
			t.Fatalf("simulate m0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	fa, fb := readAll(t, a), readAll(t, b)
	delete(fa, "timing.json")
	delete(fb, "timing.json")
	for name, content := range fa {
		if fb[name] != content {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	h := sha256.New()
	for _, n := range []string{"gateway", "sensor1", "sensor2", "sensor3"} {
		h.Write([]byte(fa[n+"_metrics.csv"]))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != "d376231ff78a8789b1b886b0476be4a2bcc626677cdbcac7b46579c4cf8fd589" {
		t.Errorf("CSV hash = %s, want upstream's d376231f...", got)
	}
	var s struct {
		Scenario     string  `json:"scenario"`
		Seed         int64   `json:"seed"`
		Verdict      string  `json:"verdict"`
		VirtualTimeS float64 `json:"virtual_time_s"`
		Events       int64   `json:"events"`
		Network      struct {
			Sent      int64 `json:"packets_sent"`
			Delivered int64 `json:"packets_delivered"`
			Dropped   int64 `json:"packets_dropped"`
			Links     []struct {
				Src string `json:"src"`
			} `json:"links"`
		} `json:"network"`
	}
	if err := json.Unmarshal([]byte(fa["summary.json"]), &s); err != nil {
		t.Fatal(err)
	}
	if s.Scenario != "m0_baseline" || s.Seed != 42 || s.Verdict != "pass" || s.VirtualTimeS != 10 ||
		s.Network.Sent != 27 || s.Network.Delivered != 27 || s.Network.Dropped != 0 || len(s.Network.Links) != 3 || s.Events != 82 {
		t.Errorf("summary.json = %+v", s)
	}
}

func TestSimulateSeedOverrideChangesResults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := cli(t, "simulate", "--seed", "7", "--csv", "--out", dir, m0); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := readAll(t, dir)
	if !strings.Contains(s["summary.json"], `"seed": 7`) {
		t.Errorf("summary.json does not record seed 7:\n%s", s["summary.json"])
	}
	if strings.Contains(s["sensor1_metrics.csv"], "1000000,sample,21.66") {
		t.Error("seed 7 gave seed 42's first reading")
	}
}

func TestSimulateExitCodes(t *testing.T) {
	t.Parallel()
	corpus := "../../pkg/scenario/testdata/corpus/scenarios/"
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"dry run of a valid file", []string{"simulate", "--dry-run", m0}, 0, []string{"valid (4 nodes, direct network"}},
		{"placeholder file", []string{"simulate", corpus + "vib-monitoring/config.yaml"}, 3, []string{"config.yaml:", "placeholder"}},
		{"every mistake at once", []string{"simulate", "--dry-run", "testdata/three_mistakes.yaml"},
			3, []string{"three_mistakes.yaml:2:15:", "three_mistakes.yaml:8:9:", "three_mistakes.yaml:14:63:"}},
		{"missing file", []string{"simulate", "testdata/nope.yaml"}, 3, []string{"nope.yaml"}},
		{"no scenario", []string{"simulate"}, 3, []string{"needs a scenario file"}},
		{"unknown flag", []string{"simulate", "--frobnicate", m0}, 3, []string{"unknown flag"}},
		{"docker node", []string{"simulate", "--out", t.TempDir(), "testdata/docker_node.yaml"}, 1, []string{"docker_node.yaml:3:5", "Docker Engine"}},
		{"sensor sends to a missing gateway", []string{"simulate", "--out", t.TempDir(), corpus + "m2d/python_gateway.yaml"},
			0, []string{`node "sensor1" sends to "gateway", which is not a node of this scenario`}},
		{"deploy without a manifest", []string{"deploy"}, 3, []string{"deploy needs -f deploy.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			all := r.stdout + r.stderr
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output does not contain %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
				t.Errorf("output has a stack trace:\n%s", all)
			}
		})
	}
}

func TestVersionAndSchema(t *testing.T) {
	t.Parallel()
	r := cli(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "xedgesim ") || !strings.Contains(r.stdout, "go1.") || !strings.Contains(r.stdout, "linux/") {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
	r = cli(t, "schema")
	var v map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v["$schema"] == nil {
		t.Errorf("schema: exit %d, not a JSON Schema: %.200s", r.code, r.stdout)
	}
}

func TestSimulateAnnotatesScenarioLinesInActions(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(xedgesim, "simulate", "--dry-run", "testdata/three_mistakes.yaml")
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=true")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want 3\n%s", err, out)
	}
	for _, want := range []string{
		"::error col=15,file=testdata/three_mistakes.yaml,line=2::",
		"::error col=9,file=testdata/three_mistakes.yaml,line=8::",
		"::error col=63,file=testdata/three_mistakes.yaml,line=14::",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
}
