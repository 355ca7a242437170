package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const failing = "../../scenarios/gate_fails_on_purpose.yaml"

// TestFailingGate is the gate's contract: exit 2, the annotation on the
// assertion's line, and JUnit and Markdown naming the metric and its actual
// value.
func TestFailingGate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outFile := filepath.Join(dir, "github_output")
	sumFile := filepath.Join(dir, "step_summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "results")
	cmd := exec.Command(xedgesim, "gha", "simulate")
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+outFile, "GITHUB_STEP_SUMMARY="+sumFile,
		"INPUT_SCENARIO="+failing, "INPUT_OUT="+out, "INPUT_STRICT=true")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2\n%s", err, stdout.String())
	}
	log := stdout.String()
	if !strings.Contains(log, "::error col=7,file="+failing+",line=23,title=Assertion failed::readings reach the gateway: packet_delivery_rate gte 0.99 failed with seed 42: actual 0.769492") {
		t.Errorf("no annotation on line 23:\n%s", log)
	}
	if strings.Count(log, "title=Assertion failed") != 1 {
		t.Errorf("want exactly one failed-assertion annotation:\n%s", log)
	}
	outputs, _ := os.ReadFile(outFile)
	for _, want := range []string{"verdict<<", "\nfail\n", "passed<<", "\nfalse\n", "junit<<", filepath.Join(out, "junit.xml"), "report<<", "summary-json<<"} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, outputs)
		}
	}
	summary, _ := os.ReadFile(sumFile)
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !bytes.Equal(summary, md) || !bytes.Contains(md, []byte("0.769492")) || !bytes.Contains(md, []byte("packet\\_delivery\\_rate")) {
		t.Errorf("step summary (%d bytes) and summary.md (%d bytes) differ or lack the failed metric:\n%s", len(summary), len(md), md)
	}
	var suites struct {
		Failures int `xml:"failures,attr"`
		Tests    int `xml:"tests,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Line    int    `xml:"line,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	junit, _ := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err := xml.Unmarshal(junit, &suites); err != nil {
		t.Fatalf("junit.xml: %v\n%s", err, junit)
	}
	c := suites.Suites[0].Cases[0]
	if suites.Tests != 2 || suites.Failures != 1 || c.Failure == nil || c.Line != 23 ||
		!strings.Contains(c.Failure.Message, "packet_delivery_rate") || !strings.Contains(c.Failure.Message, "0.769492") {
		t.Errorf("junit: %+v, first case %+v", suites, c)
	}
}

// TestReportsAreReproducible runs a faulty sweep twice: every file but
// timing.json must be byte-identical.
func TestReportsAreReproducible(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		r := cli(t, "simulate", "--seeds", "1-3", "--csv", "--out", dir, "../../scenarios/gate_fleet.yaml", failing)
		if r.code != 2 {
			t.Fatalf("exit %d, want 2 (one scenario fails on purpose)\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	var files int
	err := filepath.Walk(a, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || info.Name() == "timing.json" {
			return err
		}
		files++
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 6 suite files (the in-toto statement among them) + 6 runs x
	// (summary.json + CSVs of 6 or 2 nodes).
	if files != 6+3*(1+6)+3*(1+2) {
		t.Errorf("compared %d files", files)
	}
}

func TestSeedsShardsAndPlan(t *testing.T) {
	t.Parallel()
	r := cli(t, "simulate", "--seeds", "1-10", "--plan", "--shards", "3", m0)
	if r.code != 0 || strings.TrimSpace(r.stdout) != `{"include":[{"shard":"1/3","runs":4},{"shard":"2/3","runs":3},{"shard":"3/3","runs":3}]}` {
		t.Errorf("plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The shards together are the whole sweep, each run once.
	seen := map[string]int{}
	for _, s := range []string{"1/3", "2/3", "3/3"} {
		dir := t.TempDir()
		r := cli(t, "simulate", "--seeds", "1-10", "--shard", s, "--out", dir, m0)
		if r.code != 0 {
			t.Fatalf("shard %s: exit %d\n%s", s, r.code, r.stderr)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "m0_baseline"))
		for _, e := range entries {
			seen[e.Name()]++
		}
	}
	if len(seen) != 10 {
		t.Errorf("shards ran %v", seen)
	}
	for seed, n := range seen {
		if n != 1 {
			t.Errorf("%s ran %d times", seed, n)
		}
	}
	for _, bad := range [][]string{
		{"--seeds", "5-1"}, {"--seeds", "x"}, {"--shard", "4/3"}, {"--shard", "0/3"}, {"--seed", "1", "--seeds", "2"},
		{"--image", "broker"}, {"--image", "broker=x"}, {"--shards", "2"},
	} {
		r := cli(t, append(append([]string{"simulate"}, bad...), m0)...)
		if r.code != 3 {
			t.Errorf("simulate %v: exit %d, want 3\n%s", bad, r.code, r.stderr)
		}
	}
}

func TestBadAssertionsAreInvalidInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := `simulation: {duration_s: 1, seed: 1}
nodes:
  - {id: s, type: sensor, port: 1}
validation:
  assertions:
    - {metric: ml_accuracy, operator: gte, value: 0.9}
    - {metric: packets_sent, operator: approx, value: 1}
    - {metric: packets_sent, operator: gte, value: "many"}
`
	f := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "simulate", f)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"bad.yaml:6:16: error:", "known metrics:", "bad.yaml:7:40: error:", "bad.yaml:8:52: error:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestCLIInActionsWritesOutputsAndSummary is `run: xedgesim simulate` in a
// workflow: the plain CLI gives the action's outputs and step summary.
func TestCLIInActionsWritesOutputsAndSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outFile := filepath.Join(dir, "github_output")
	sumFile := filepath.Join(dir, "step_summary")
	out := filepath.Join(dir, "results")
	r := cliEnv(t, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile},
		"simulate", "--out", out, failing)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	outputs, _ := os.ReadFile(outFile)
	for _, want := range []string{"verdict<<", "\nfail\n", "passed<<", "\nfalse\n", "junit<<", filepath.Join(out, "junit.xml")} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, outputs)
		}
	}
	summary, _ := os.ReadFile(sumFile)
	if !bytes.Contains(summary, []byte("packet\\_delivery\\_rate")) || !bytes.Contains(summary, []byte("0.769492")) {
		t.Errorf("step summary does not name the failed assertion:\n%s", summary)
	}
}

// TestCLIOutsideActionsWritesNoOutputs keeps a terminal free of name=value
// lines: without the runner's files the CLI prints only its report.
func TestCLIOutsideActionsWritesNoOutputs(t *testing.T) {
	t.Parallel()
	r := cliEnv(t, []string{"GITHUB_ACTIONS=", "GITHUB_OUTPUT=", "GITHUB_STEP_SUMMARY="}, "simulate", "--out", t.TempDir(), failing)
	if r.code != 2 || strings.Contains(r.stdout, "verdict=") || strings.Contains(r.stdout, "verdict<<") {
		t.Errorf("exit %d, want 2 and no outputs on stdout:\n%s", r.code, r.stdout)
	}
}
