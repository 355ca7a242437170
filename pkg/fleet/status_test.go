package fleet

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	newDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	oldDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	image     = "registry.example.com/acme/app@" + newDigest
)

// plan is the runner plan of four devices, one canary and batches of
// two, with the rollout's given keys.
func plan(t *testing.T, rollout string) *deploy.RunnerPlan {
	t.Helper()
	m, err := manifest.Parse([]byte(`image: `+image+`
service: {name: app, health: {tcp: 8080}}
rollout: {canary: 1, batch: 2, `+rollout+`}
hosts:
  - {name: pi-001, runner: device-pi-001}
  - {name: pi-002, runner: device-pi-002}
  - {name: pi-003, runner: device-pi-003}
  - {name: pi-004, runner: device-pi-004}
`), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := deploy.NewRunnerPlan(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var t0 = time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)

// report is one device job's deploy report.
func report(host string, at time.Duration, r deploy.Result, errText string) deploy.Report {
	h := deploy.HostReport{Host: host, Platform: "linux/arm64", OldDigest: oldDigest, NewDigest: newDigest,
		Started: t0.Add(at), Duration: 40 * time.Second, Result: r, RolledBack: r == deploy.ResultRolledBack, Error: errText}
	return deploy.Report{DeployID: "20261206T070000Z-" + host, Image: image, Hosts: []deploy.HostReport{h}}
}

// rollback is one rollback job's report: the old digest deployed again.
func rollback(host string, at time.Duration) deploy.Report {
	h := deploy.HostReport{Host: host, Platform: "linux/arm64", OldDigest: newDigest, NewDigest: oldDigest,
		Started: t0.Add(at), Duration: 20 * time.Second, Result: deploy.ResultDeployed}
	return deploy.Report{DeployID: "20261206T071000Z-" + host, Image: "registry.example.com/acme/app@" + oldDigest, Hosts: []deploy.HostReport{h}}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	health := "health check failed: tcp check did not pass within 30s; the last answer: connecting to port 8080: connection refused"
	tests := []struct {
		name    string
		rollout string
		through string
		reports []deploy.Report
		// want: each device's state, the failures, stopped, done, and
		// the devices to put back.
		states   string
		failures int
		stopped  bool
		done     bool
		rollback string
	}{{
		name:    "complete",
		reports: []deploy.Report{report("pi-001", 0, deploy.ResultDeployed, ""), report("pi-002", time.Minute, deploy.ResultDeployed, ""), report("pi-003", time.Minute, deploy.ResultDeployed, ""), report("pi-004", 2*time.Minute, deploy.ResultDeployed, "")},
		states:  "pi-001 updated, pi-002 updated, pi-003 updated, pi-004 updated",
		done:    true,
	}, {
		name:     "stopped at the canary",
		reports:  []deploy.Report{report("pi-001", 0, deploy.ResultRolledBack, health)},
		states:   "pi-001 rolled back, pi-002 not started, pi-003 not started, pi-004 not started",
		failures: 1, stopped: true,
	}, {
		name:    "a gate after the canary",
		through: "canary",
		reports: []deploy.Report{report("pi-001", 0, deploy.ResultDeployed, "")},
		states:  "pi-001 updated, pi-002 not started, pi-003 not started, pi-004 not started",
	}, {
		name:    "offline skipped",
		rollout: "offline: skip",
		reports: []deploy.Report{report("pi-001", 0, deploy.ResultDeployed, ""), report("pi-002", time.Minute, deploy.ResultDeployed, ""), report("pi-004", 2*time.Minute, deploy.ResultDeployed, "")},
		states:  "pi-001 updated, pi-002 updated, pi-003 offline, pi-004 updated",
		done:    true,
	}, {
		name:     "offline fails",
		reports:  []deploy.Report{report("pi-001", 0, deploy.ResultDeployed, ""), report("pi-002", time.Minute, deploy.ResultDeployed, "")},
		states:   "pi-001 updated, pi-002 updated, pi-003 offline, pi-004 not started",
		failures: 1, stopped: true, rollback: "pi-001, pi-002",
	}, {
		name: "stopped in a wave and put back",
		reports: []deploy.Report{report("pi-001", 0, deploy.ResultDeployed, ""), report("pi-002", time.Minute, deploy.ResultDeployed, ""), report("pi-003", time.Minute, deploy.ResultRolledBack, health),
			rollback("pi-001", 3*time.Minute), rollback("pi-002", 3*time.Minute)},
		states:   "pi-001 rolled back, pi-002 rolled back, pi-003 rolled back, pi-004 not started",
		failures: 1, stopped: true, rollback: "",
	}, {
		name:     "within the budget",
		rollout:  "max_failures: 1",
		reports:  []deploy.Report{report("pi-001", 0, deploy.ResultDeployed, ""), report("pi-002", time.Minute, deploy.ResultFailed, "pulling the image: connection reset"), report("pi-003", time.Minute, deploy.ResultDeployed, ""), report("pi-004", 2*time.Minute, deploy.ResultDeployed, "")},
		states:   "pi-001 updated, pi-002 failed, pi-003 updated, pi-004 updated",
		failures: 1, done: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Evaluate(plan(t, tt.rollout), tt.reports, tt.through)
			if err != nil {
				t.Fatal(err)
			}
			var states, back []string
			for _, d := range s.Devices {
				states = append(states, d.Host+" "+string(d.State))
			}
			for _, j := range s.Rollback {
				back = append(back, j.Host)
			}
			got := fmt.Sprintf("%s; failures %d, stopped %v, done %v; put back: %s", strings.Join(states, ", "), s.Failures, s.Stopped, s.Done, strings.Join(back, ", "))
			want := fmt.Sprintf("%s; failures %d, stopped %v, done %v; put back: %s", tt.states, tt.failures, tt.stopped, tt.done, tt.rollback)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			golden(t, strings.ReplaceAll(tt.name, " ", "_")+".md", s.Markdown())
			golden(t, strings.ReplaceAll(tt.name, " ", "_")+".txt", s.Text())
		})
	}
}

func TestEvaluateDigests(t *testing.T) {
	t.Parallel()
	s, err := Evaluate(plan(t, "offline: skip"), []deploy.Report{
		report("pi-001", 0, deploy.ResultDeployed, ""),
		report("pi-002", time.Minute, deploy.ResultRolledBack, "health"),
		report("pi-003", time.Minute, deploy.ResultDeployed, ""),
		rollback("pi-003", 2*time.Minute),
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pi-001": newDigest, "pi-002": oldDigest, "pi-003": oldDigest, "pi-004": ""}
	got := map[string]string{}
	for _, d := range s.Devices {
		got[d.Host] = d.Digest
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("digests (-want +got):\n%s", diff)
	}
	var old []string
	for _, d := range s.OldDigest() {
		old = append(old, d.Host)
	}
	if diff := cmp.Diff([]string{"pi-002", "pi-003", "pi-004"}, old); diff != "" {
		t.Errorf("still on the old digest (-want +got):\n%s", diff)
	}
	if _, err := Evaluate(plan(t, ""), nil, "wave9"); exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), `no wave "wave9" in the plan; it has canary, wave1, wave2`) {
		t.Errorf("an unknown wave: %v (exit %d), want exit 3 naming the plan's waves", err, exitcode.Of(err))
	}
}

func TestReadReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, v any) {
		t.Helper()
		b, ok := v.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// As download-artifact lays them out: a folder per artifact.
	write("fleet-pi-002/deploy-report.json", report("pi-002", 0, deploy.ResultDeployed, ""))
	write("fleet-pi-001/deploy-report.json", report("pi-001", 0, deploy.ResultDeployed, ""))
	write("fleet-rollback-pi-001/rollback-report.json", rollback("pi-001", time.Minute))
	write("fleet-pi-001/verify-report.json", map[string]any{"image": image, "passed": true})
	write("fleet-pi-001/notes.txt", []byte("not JSON"))
	reps, err := ReadReports(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reps {
		got = append(got, r.Hosts[0].Host+" "+r.Hosts[0].NewDigest[:8])
	}
	if diff := cmp.Diff([]string{"pi-001 sha256:1", "pi-002 sha256:1", "pi-001 sha256:0"}, got); diff != "" {
		t.Errorf("reports read (-want +got):\n%s", diff)
	}

	write("fleet-pi-003/deploy-report.json", []byte(`{"image": "x", "hosts": [{"host": 3}]}`))
	_, err = ReadReports(dir)
	var re *ReportError
	if !errors.As(err, &re) || exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), filepath.Join(dir, "fleet-pi-003/deploy-report.json")) {
		t.Errorf("a broken report: %v (exit %d), want a *ReportError naming it, exit 3", err, exitcode.Of(err))
	}
	if _, err := ReadReports(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder: no error")
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
