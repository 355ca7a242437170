package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSeedsAreBounded: --seeds ending at the largest int64 used to wrap
// around and list seeds until memory ran out; a spec of many ranges could
// name more seeds than the per-range bound. The binary runs under a deadline
// so a regression fails instead of eating the machine.
func TestSeedsAreBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		seeds string
		code  int
		want  []int64 // the plan's seeds when code is 0
		msg   string  // in stderr when code is not 0
	}{
		{"the largest seed", "9223372036854775807", 0, []int64{9223372036854775807}, ""},
		{"a range ending at the largest seed", "9223372036854775806-9223372036854775807", 0, []int64{9223372036854775806, 9223372036854775807}, ""},
		{"a range too long", "0-9223372036854775807", 3, nil, "more than 100000 seeds"},
		{"past int64", "9223372036854775807-9223372036854775808", 3, nil, "is not a range"},
		{"too many in all", "1-60000,60001-120000", 3, nil, "more than 100000 seeds"},
		{"a negative seed", "-5", 0, []int64{-5}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, xedgesim, "simulate", "--plan", "--seeds", tc.seeds, m0)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("--seeds %s did not end within a minute", tc.seeds)
			}
			code := cmd.ProcessState.ExitCode()
			if code != tc.code {
				t.Fatalf("--seeds %s: exit %d (%v), want %d\n%s", tc.seeds, code, err, tc.code, errb.String())
			}
			if code != 0 {
				if !strings.Contains(errb.String(), tc.msg) {
					t.Errorf("stderr %q does not say %q", errb.String(), tc.msg)
				}
				return
			}
			var m matrix
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range m.Include {
				got = append(got, *e.Seed)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan seeds (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScenarioLimits: what a scenario may ask for is bounded at load, with
// exit 3 and the line at fault, before anything runs; each bound has a
// flag to raise it.
func TestScenarioLimits(t *testing.T) {
	t.Parallel()
	const sim = "simulation: {duration_s: 1, seed: 1}\n"
	fifo := filepath.Join(t.TempDir(), "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var many strings.Builder
	many.WriteString(sim + "nodes:\n")
	for i := range 5 {
		fmt.Fprintf(&many, "  - {id: s%d, type: sensor, port: %d}\n", i, 5001+i)
	}
	big := sim + "nodes:\n  - {id: s, type: sensor, port: 1}\n#" + strings.Repeat("x", 2<<20) + "\n"
	for _, tc := range []struct {
		name  string
		path  string
		flags []string
		code  int
		msg   string
	}{
		// Was exit 1 at run time: a CreateTemp error for the CSV file.
		{"a node id with a slash", writeScenario(t, "s.yaml", sim+"nodes:\n  - {id: a/b, type: sensor, port: 1}\n"), []string{"--csv"}, 3,
			`s.yaml:3:10: error: nodes[0].id "a/b" has characters outside the name charset`},
		{"a node id of dots", writeScenario(t, "s.yaml", sim+"nodes:\n  - {id: '..', type: sensor, port: 1}\n"), nil, 3,
			`s.yaml:3:10: error: nodes[0].id ".." has characters outside the name charset`},
		// Was accepted and ran without end.
		{"a duration past the limit", writeScenario(t, "s.yaml", "simulation: {duration_s: 9223372036854, seed: 1}\nnodes:\n  - {id: s, type: sensor, port: 1}\n"), nil, 3,
			"s.yaml:1:26: error: simulation.duration_s is 9223372036854 s; the limit is 31622400 s (366 days)"},
		{"a duration under a raised limit", writeScenario(t, "s.yaml", "simulation: {duration_s: 40000000, seed: 1}\nnodes:\n  - {id: s, type: sensor, port: 1}\n"), []string{"--max-duration-s", "5e7"}, 0, ""},
		// Was accepted: a 9e12 s run loaded and its sensor's times wrapped.
		{"a duration limit past the bound", writeScenario(t, "s.yaml", "simulation: {duration_s: 9e12, seed: 1}\nnodes:\n  - {id: s, type: sensor, port: 1}\n"), []string{"--max-duration-s", "9e12"}, 3,
			"--max-duration-s 9e+12: write a positive number of seconds, at most 4e12 (about 126,000 years)"},
		{"a duration at the bound", writeScenario(t, "s.yaml", "simulation: {duration_s: 4e12, seed: 1}\nnodes:\n  - {id: s, type: sensor, port: 1}\n"), []string{"--max-duration-s", "4e12"}, 0, ""},
		{"more nodes than the limit", writeScenario(t, "s.yaml", many.String()), []string{"--max-nodes", "4"}, 3,
			"s.yaml:3:3: error: the scenario has 5 nodes; the limit is 4"},
		{"as many nodes as the limit", writeScenario(t, "s.yaml", many.String()), []string{"--max-nodes", "5"}, 0, ""},
		// A device group counts as the devices it declares.
		{"a device group over the limit", writeScenario(t, "s.yaml", sim+"nodes:\n  - {id: gw, type: gateway, port: 1}\n  - {id: \"s{i}\", count: 5, type: sensor, config: {dst: gw}}\n"), []string{"--max-nodes", "5"}, 3,
			"s.yaml:3:3: error: the scenario has 6 nodes; the limit is 5"},
		{"a file over the limit", writeScenario(t, "s.yaml", big), []string{"--max-file-mib", "1"}, 3,
			"s.yaml:1:1: error: the scenario file is larger than the limit of 1 MiB"},
		{"a file under a raised limit", writeScenario(t, "s.yaml", big), []string{"--max-file-mib", "3"}, 0, ""},
		// Was read until memory ran out.
		{"/dev/zero", "/dev/zero", nil, 3, "/dev/zero:1:1: error: reading scenario: open /dev/zero: not a regular file (a character device)"},
		// Was a hang: the open waited for a writer.
		{"a FIFO", fifo, nil, 3, "fifo.yaml:1:1: error: reading scenario: open " + fifo + ": not a regular file (a FIFO)"},
		{"a bad limit", writeScenario(t, "s.yaml", many.String()), []string{"--max-nodes", "0"}, 3, "--max-nodes 0: write a positive number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			args := append(append([]string{"simulate", "--dry-run"}, tc.flags...), tc.path)
			cmd := exec.CommandContext(ctx, xedgesim, args...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("simulate %v did not end within two minutes", args)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("simulate %v: exit %d, want %d\n%s%s", args, code, tc.code, out.String(), errb.String())
			}
			if tc.code != 0 && !strings.Contains(errb.String(), tc.msg) {
				t.Errorf("stderr does not say %q:\n%s", tc.msg, errb.String())
			}
		})
	}
}

// TestTimeoutEndsTheRunWithAReport: --timeout ends a run that would take
// far longer (three sensors for a virtual year: about a hundred million
// events) with exit 1, and the reports say which run it ended.
func TestTimeoutEndsTheRunWithAReport(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, "year.yaml", `simulation: {duration_s: 31536000, seed: 1}
nodes:
  - {id: sensor1, type: sensor_model, port: 5001}
  - {id: sensor2, type: sensor_model, port: 5002}
  - {id: sensor3, type: sensor_model, port: 5003}
  - {id: gateway, type: gateway_model, port: 5004}
`)
	out := t.TempDir()
	r := cli(t, "simulate", "--timeout", "2s", "--seeds", "1-3", "--out", out, sc)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatalf("no summary of the invocation: %v", err)
	}
	var s struct {
		Verdict string
		Runs    []struct {
			Seed    int64
			Verdict string
			Error   string
		}
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	// The first run is the one ended; the others never started.
	if s.Verdict != "error" || len(s.Runs) != 1 || s.Runs[0].Seed != 1 || s.Runs[0].Verdict != "error" ||
		!strings.Contains(s.Runs[0].Error, "the --timeout ended the invocation after 2s") {
		t.Errorf("summary %+v", s)
	}
	for _, f := range []string{"junit.xml", "summary.md", "report.html", "year/seed-1/summary.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "year/seed-2")); err == nil {
		t.Error("seed 2 ran after the timeout")
	}
}

// TestActionTimeoutInput: the action's timeout input reaches the verb, and
// a value that is not a duration is bad input.
func TestActionTimeoutInput(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, "year.yaml", "simulation: {duration_s: 31536000, seed: 1}\nnodes:\n  - {id: sensor1, type: sensor_model, port: 5001}\n  - {id: gateway, type: gateway_model, port: 5004}\n")
	for _, tc := range []struct {
		timeout string
		code    int
		msg     string
	}{
		{"soon", 3, `input timeout "soon" is not a duration`},
		{"-1s", 3, `input timeout "-1s" is not a duration`},
		{"1s", 1, "the --timeout ended the invocation after 1s"},
	} {
		dir := t.TempDir()
		outFile := filepath.Join(dir, "github_output")
		if err := os.WriteFile(outFile, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, xedgesim, "gha", "simulate")
		cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+outFile, "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary"),
			"INPUT_SCENARIO="+sc, "INPUT_OUT="+filepath.Join(dir, "results"), "INPUT_TIMEOUT="+tc.timeout)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Run()
		cancel()
		if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(out.String(), tc.msg) {
			t.Errorf("timeout %q: exit %d, want %d saying %q:\n%s", tc.timeout, code, tc.code, tc.msg, out.String())
		}
	}
}
