package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const gateFleet = "../../scenarios/gate_fleet.yaml"

// A sweep of gate_fleet run as 20 shards and merged gives the reports of
// the unsharded run, byte for byte (1,000 seeds are the bench's; the
// layout and the order are the same with 60).
func TestReportMergeMatchesUnsharded(t *testing.T) {
	t.Parallel()
	const seeds, shards = "1-60", 20
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	want := cli(t, "simulate", "--seeds", seeds, "--out", full, gateFleet)
	if want.code != 0 && want.code != 2 {
		t.Fatalf("unsharded run: exit %d\n%s", want.code, want.stderr)
	}
	var dirs []string
	// Given in an order that is not the shards': merge must not care.
	for i := shards; i >= 1; i-- {
		dir := filepath.Join(tmp, fmt.Sprintf("shard-%d", i))
		r := cli(t, "simulate", "--seeds", seeds, "--shard", fmt.Sprintf("%d/%d", i, shards), "--out", dir, gateFleet)
		if r.code != 0 && r.code != 2 {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
		dirs = append(dirs, dir)
	}
	merged := filepath.Join(tmp, "merged")
	got := cli(t, append([]string{"report", "merge", "--out", merged}, dirs...)...)
	if got.code != want.code {
		t.Errorf("merge exit %d, the unsharded run's %d\n%s", got.code, want.code, got.stderr)
	}
	files := []string{"summary.json", "junit.xml", "summary.md", "report.html", "evidence.json"}
	for s := 1; s <= 60; s++ {
		files = append(files, fmt.Sprintf("gate_fleet/seed-%d/summary.json", s))
	}
	for _, f := range files {
		a, err := os.ReadFile(filepath.Join(full, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(merged, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the unsharded run and the merge", f)
		}
	}
}

func TestReportMergeRefuses(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	shard := func(name, spec, seeds string) string {
		dir := filepath.Join(tmp, name)
		if r := cli(t, "simulate", "--seeds", seeds, "--shard", spec, "--out", dir, gateFleet); r.code != 0 && r.code != 2 {
			t.Fatalf("shard %s: exit %d\n%s", spec, r.code, r.stderr)
		}
		return dir
	}
	one, two, three := shard("a1", "1/3", "1-6"), shard("a2", "2/3", "1-6"), shard("a3", "3/3", "1-6")
	other := shard("b2", "2/3", "1-9")
	plain := filepath.Join(tmp, "plain")
	if r := cli(t, "simulate", "--seeds", "1-2", "--out", plain, gateFleet); r.code != 0 && r.code != 2 {
		t.Fatalf("plain sweep: exit %d\n%s", r.code, r.stderr)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a missing shard", []string{one, three}, "shards [2] of 3 are missing"},
		{"another plan", []string{one, other, three}, "does not belong with"},
		{"a shard twice", []string{one, two, two, three}, "shard 2/3 is also"},
		{"not a shard", []string{one, plain}, "not the results of simulate --shard"},
		{"no such directory", []string{filepath.Join(tmp, "nowhere")}, "not the results of simulate --shard"},
		{"out is a shard", []string{"--out", one, one, two, three}, "is one of the shards"},
		{"nothing", nil, "needs the shards' results directories"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(tmp, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			args := append([]string{"report", "merge", "--out", out}, tc.args...)
			r := cli(t, args...)
			if r.code != 3 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 3 saying %q", r.code, r.stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(out, "summary.json")); err == nil {
				t.Errorf("a refused merge wrote %s", out)
			}
		})
	}
	if r := cli(t, "report", "merge", "--out", filepath.Join(tmp, "ok"), three, one, two); r.code != 0 && r.code != 2 {
		t.Errorf("the complete plan: exit %d\n%s", r.code, r.stderr)
	}
}

// The simulate action with merge: the shards' directories by glob, the
// merged reports in out, and the outputs pointing at them.
func TestActionMerge(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	for i := 1; i <= 3; i++ {
		dir := filepath.Join(tmp, fmt.Sprintf("shard-%d", i))
		if r := cli(t, "simulate", "--seeds", "1-5", "--shard", fmt.Sprintf("%d/3", i), "--out", dir, gateFleet); r.code != 0 && r.code != 2 {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	full := filepath.Join(tmp, "full")
	want := cli(t, "simulate", "--seeds", "1-5", "--out", full, gateFleet)
	outFile, sumFile := filepath.Join(tmp, "github_output"), filepath.Join(tmp, "step_summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(tmp, "merged")
	r := runBinary(t, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile,
		"INPUT_MERGE=" + filepath.Join(tmp, "shard-*"), "INPUT_OUT=" + out}, "gha", "simulate")
	if r.code != want.code {
		t.Fatalf("exit %d, the unsharded run's %d\n%s%s", r.code, want.code, r.stdout, r.stderr)
	}
	outputs, _ := os.ReadFile(outFile)
	if !strings.Contains(string(outputs), filepath.Join(out, "junit.xml")) || !strings.Contains(string(outputs), filepath.Join(out, "evidence.json")) {
		t.Errorf("GITHUB_OUTPUT does not name the merged reports:\n%s", outputs)
	}
	a, _ := os.ReadFile(filepath.Join(full, "report.html"))
	b, _ := os.ReadFile(filepath.Join(out, "report.html"))
	summary, _ := os.ReadFile(sumFile)
	md, _ := os.ReadFile(filepath.Join(full, "summary.md"))
	if len(a) == 0 || !bytes.Equal(a, b) || !bytes.Equal(summary, md) {
		t.Errorf("the merged report.html or the step summary differ from the unsharded run's")
	}
}

// The simulate action with shards plans the matrix and runs nothing.
func TestActionPlan(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	outFile := filepath.Join(tmp, "github_output")
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + outFile, "INPUT_SCENARIO=" + gateFleet,
		"INPUT_SEEDS=1-10", "INPUT_SHARDS=3", "INPUT_OUT=" + filepath.Join(tmp, "results")}, "gha", "simulate")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	outputs, _ := os.ReadFile(outFile)
	want := `{"include":[{"shard":"1/3","runs":4},{"shard":"2/3","runs":3},{"shard":"3/3","runs":3}]}`
	if !strings.Contains(string(outputs), "matrix<<") || !strings.Contains(string(outputs), want) {
		t.Errorf("GITHUB_OUTPUT lacks the matrix %s:\n%s", want, outputs)
	}
	if _, err := os.Stat(filepath.Join(tmp, "results")); err == nil {
		t.Errorf("planning ran something")
	}
	bad := runBinary(t, []string{"GITHUB_ACTIONS=true", "INPUT_SCENARIO=" + gateFleet, "INPUT_SHARDS=3", "INPUT_SHARD=1/3"}, "gha", "simulate")
	if bad.code != 3 || !strings.Contains(bad.stdout+bad.stderr, "exclude each other") {
		t.Errorf("shards with shard: exit %d\n%s%s", bad.code, bad.stdout, bad.stderr)
	}
}
