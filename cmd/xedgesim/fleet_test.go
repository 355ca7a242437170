package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/fleet"
)

const fleetDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fleetManifest writes a manifest of three runner hosts.
func fleetManifest(t *testing.T, rollout string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "fleet.yaml")
	body := `image: 127.0.0.1:5010/acme/app@` + fleetDigest + `
service: {name: app, health: {tcp: 8080}}
rollout: ` + rollout + `
hosts:
  - {name: pi-001, runner: device-pi-001}
  - {name: pi-002, runner: device-pi-002, env: {DEVICE_ID: "2"}}
  - {name: pi-003, runner: device-pi-003}
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// outputs reads what a verb wrote to GITHUB_OUTPUT.
func outputs(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var v []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			v = append(v, lines[i])
		}
		out[name] = strings.Join(v, "\n")
	}
	return out
}

func TestDeployPlanRunners(t *testing.T) {
	t.Parallel()
	m := fleetManifest(t, "{canary: 1, batch: 2, offline: skip, wave_timeout: 5m}")
	ghOut := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(ghOut, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := cliEnv(t, []string{"GITHUB_OUTPUT=" + ghOut}, "deploy", "-f", m, "--plan", "runners", "--wave-jobs", "3")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var p deploy.RunnerPlan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("stdout is not the plan: %v\n%s", err, r.stdout)
	}
	if p.Canary == nil || len(p.Waves) != 1 || p.TimeoutMinutes != 5 {
		t.Errorf("plan: %+v, want a canary and one wave, 5 minutes", p)
	}
	want := map[string]string{
		"canary":              `{"include":[{"host":"pi-001","runner":"device-pi-001","wave":"canary"}]}`,
		"canary-max-parallel": "1",
		"wave1":               `{"include":[{"host":"pi-002","runner":"device-pi-002","wave":"wave1"},{"host":"pi-003","runner":"device-pi-003","wave":"wave1"}]}`,
		"wave1-max-parallel":  "2",
		// The workflow's other wave jobs get nothing to run.
		"wave2": "", "wave2-max-parallel": "1", "wave3": "", "wave3-max-parallel": "1",
		"waves": "1", "max-failures": "0", "offline": "skip", "timeout-minutes": "5", "job-timeout-minutes": "10",
		"image-ref": "127.0.0.1:5010/acme/app@" + fleetDigest, "digest": fleetDigest,
	}
	got := outputs(t, ghOut)
	delete(got, "plan")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--plan", "ssh"}, `--plan "ssh": the one plan is runners`},
		{[]string{"--plan", "runners", "--wave-jobs", "1", "--image", "127.0.0.1:5010/acme/app@" + fleetDigest}, "the rollout needs 2 waves and the workflow has 1 wave jobs"},
	} {
		m := fleetManifest(t, "{canary: 1, batch: 1}")
		r := cli(t, append([]string{"deploy", "-f", m}, tt.args...)...)
		if r.code != 3 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("deploy %v: exit %d, %q; want exit 3 saying %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

func TestFleetStatus(t *testing.T) {
	t.Parallel()
	m := fleetManifest(t, "{canary: 1, batch: 2}")
	reports := t.TempDir()
	write := func(dir string, h deploy.HostReport) {
		t.Helper()
		h.Started, h.Duration = time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC), 30*time.Second
		b, err := json.Marshal(deploy.Report{DeployID: "d", Image: "127.0.0.1:5010/acme/app@" + fleetDigest, Hosts: []deploy.HostReport{h}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(reports, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(reports, dir, "deploy-report.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := "sha256:" + strings.Repeat("0", 64)
	write("fleet-pi-001", deploy.HostReport{Host: "pi-001", OldDigest: old, NewDigest: fleetDigest, Result: deploy.ResultDeployed})
	dir := t.TempDir()
	ghOut, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, f := range []string{ghOut, summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"GITHUB_OUTPUT=" + ghOut, "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_ACTIONS=true"}

	// The gate after the canary: it goes on.
	r := cliEnv(t, env, "fleet", "status", "-f", m, "--reports", reports, "--through", "canary")
	if r.code != 0 || !strings.Contains(r.stdout, "the rollout goes on after canary") {
		t.Fatalf("gate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := outputs(t, ghOut); got["go"] != "true" || got["updated"] != "pi-001" || got["rollback"] != "" {
		t.Errorf("gate outputs: %v", got)
	}

	// wave1: pi-002 failed its health check; the rollout stops, and
	// pi-001 is to be put back.
	write("fleet-pi-002", deploy.HostReport{Host: "pi-002", OldDigest: old, NewDigest: fleetDigest, Result: deploy.ResultRolledBack, Error: "health check failed"})
	write("fleet-pi-003", deploy.HostReport{Host: "pi-003", OldDigest: old, NewDigest: fleetDigest, Result: deploy.ResultDeployed})
	if err := os.WriteFile(ghOut, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "status.json")
	r = cliEnv(t, env, "fleet", "status", "-f", m, "--reports", reports, "--out", out)
	if r.code != 2 || !strings.Contains(r.stderr, "the rollout stopped after wave1: 1 failed device(s), max_failures 0") {
		t.Fatalf("final: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := map[string]string{
		"go": "false", "stopped": "true", "done": "false", "failures": "1",
		"rollback":   `{"include":[{"host":"pi-001","runner":"device-pi-001","wave":"canary"},{"host":"pi-003","runner":"device-pi-003","wave":"wave1"}]}`,
		"updated":    "pi-001,pi-003",
		"failed":     "pi-002",
		"offline":    "",
		"old-digest": "pi-002",
		"status":     out,
	}
	if diff := cmp.Diff(want, outputs(t, ghOut)); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	sum, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## 🔴 Fleet rollout: the rollout stopped after wave1", "| pi-002 | device-pi-002 | wave1 | ↩️ rolled back | `sha256:000000000000` |", "- pi-001 (updated in canary)"} {
		if !strings.Contains(string(sum), s) {
			t.Errorf("the step summary lacks %q\n%s", s, sum)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no status JSON: %v", err)
	}

	// Bad input: exit 3, one message.
	if err := os.WriteFile(filepath.Join(reports, "fleet-pi-003", "deploy-report.json"), []byte(`{"image": "x", "hosts": "no"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "fleet", "status", "-f", m, "--reports", reports)
	if r.code != 3 || !strings.Contains(r.stderr, "reading the deploy report "+filepath.Join(reports, "fleet-pi-003", "deploy-report.json")) {
		t.Errorf("a broken report: exit %d, %q", r.code, r.stderr)
	}
	if r := cli(t, "fleet", "status", "-f", m); r.code != 3 || !strings.Contains(r.stderr, "needs --reports") {
		t.Errorf("no --reports: exit %d, %q", r.code, r.stderr)
	}
}

func TestFleetRollbackRefuses(t *testing.T) {
	t.Parallel()
	m := fleetManifest(t, "{canary: 1}")
	dir := t.TempDir()
	rep := func(h deploy.HostReport) string {
		b, err := json.Marshal(deploy.Report{Image: "127.0.0.1:5010/acme/app@" + fleetDigest, Hosts: []deploy.HostReport{h}})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("r%d.json", len(b)))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "x.json"}, "needs one --host NAME"},
		{[]string{"--host", "pi-001"}, "needs --from deploy-report.json"},
		{[]string{"--host", "pi-001", "--from", rep(deploy.HostReport{Host: "pi-001", NewDigest: fleetDigest, Result: deploy.ResultDeployed})}, "pi-001 ran no release of the service before that deploy"},
		{[]string{"--host", "pi-001", "--from", rep(deploy.HostReport{Host: "pi-001", OldDigest: "sha256:" + strings.Repeat("0", 64), NewDigest: fleetDigest, Result: deploy.ResultRolledBack})}, "pi-001 was not updated by that deploy (rolled back)"},
		{[]string{"--host", "pi-002", "--from", rep(deploy.HostReport{Host: "pi-001", Result: deploy.ResultDeployed})}, "no host pi-002 in the report"},
	} {
		r := cli(t, append([]string{"fleet", "rollback", "-f", m}, tt.args...)...)
		if r.code != 3 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("fleet rollback %v: exit %d, %q; want exit 3 saying %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// A device job refused its digest (evidence) reports the device failed,
// so the record counts it instead of taking it for offline.
func TestRefusedDeployIsReported(t *testing.T) {
	t.Parallel()
	m := fleetManifest(t, "{canary: 1}")
	ml, err := manifest.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := deploy.NewPlan(ml, deploy.WithHosts("pi-002"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "fleet", "pi-002", "deploy-report.json")
	refusal := fmt.Errorf("deploy --require-evidence: refusing to deploy %s: the simulation evidence attached to it is unsigned", p.Image)
	if got := (deployRequest{report: file}).refused(p, refusal); got != refusal {
		t.Fatalf("refused returned %v, want the refusal itself", got)
	}
	reps, err := fleetReports(t, filepath.Dir(filepath.Dir(file)))
	if err != nil {
		t.Fatal(err)
	}
	want := []deploy.HostReport{{Host: "pi-002", NewDigest: fleetDigest, Result: deploy.ResultFailed, Error: refusal.Error()}}
	if diff := cmp.Diff(want, reps[0].Hosts, cmpopts.IgnoreUnexported(deploy.HostReport{})); diff != "" {
		t.Errorf("the report's hosts (-want +got):\n%s", diff)
	}
}

func fleetReports(t *testing.T, dir string) ([]deploy.Report, error) {
	t.Helper()
	return fleet.ReadReports(dir)
}
