package deploy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// runnerManifest is a fleet of n runner hosts pi-001, pi-002, ... with the
// rollout given as YAML.
func runnerManifest(t *testing.T, n int, rollout string) *manifest.Manifest {
	t.Helper()
	var b strings.Builder
	b.WriteString("image: registry.example.com/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
	b.WriteString("service: {name: app, health: {tcp: 8080}}\n")
	if rollout != "" {
		b.WriteString("rollout: " + rollout + "\n")
	}
	b.WriteString("hosts:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: pi-%03d, runner: device-pi-%03d, env: {DEVICE_ID: \"%d\"}}\n", i, i, i)
	}
	m, err := manifest.Parse([]byte(b.String()), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// shape is a runner plan's waves as name: size (max-parallel).
func shape(p *RunnerPlan) []string {
	var out []string
	if p.Canary != nil {
		out = append(out, fmt.Sprintf("%s: %d (%d)", p.Canary.Name, len(p.Canary.Matrix.Include), p.Canary.MaxParallel))
	}
	for _, w := range p.Waves {
		out = append(out, fmt.Sprintf("%s: %d (%d)", w.Name, len(w.Matrix.Include), w.MaxParallel))
	}
	return out
}

func TestNewRunnerPlan(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		devices int
		rollout string
		opts    []Option
		want    []string
	}{
		{name: "defaults: one canary, then one device a wave", devices: 3, want: []string{"canary: 1 (1)", "wave1: 1 (1)", "wave2: 1 (1)"}},
		{name: "the bed's three devices in two waves", devices: 3, rollout: "{canary: 1, batch: 2}", want: []string{"canary: 1 (1)", "wave1: 2 (2)"}},
		{name: "two canaries share one matrix, one at a time", devices: 5, rollout: "{canary: 2, batch: 2}", want: []string{"canary: 2 (1)", "wave1: 2 (2)", "wave2: 1 (1)"}},
		{name: "no canary", devices: 4, rollout: "{canary: 0, batch: 3}", want: []string{"wave1: 3 (3)", "wave2: 1 (1)"}},
		{name: "more canaries than devices", devices: 2, rollout: "{canary: 5}", want: []string{"canary: 2 (1)"}},
		// 600 devices: batches of 300 are more than one matrix takes, so
		// each is split, and no matrix has more than 256 jobs.
		{name: "600 devices in batches of 300", devices: 600, rollout: "{canary: 1, batch: 300}", want: []string{"canary: 1 (1)", "wave1: 256 (256)", "wave2: 44 (44)", "wave3: 256 (256)", "wave4: 43 (43)"}},
		{name: "600 devices in one batch", devices: 600, rollout: "{canary: 0, batch: 1000}", want: []string{"wave1: 256 (256)", "wave2: 256 (256)", "wave3: 88 (88)"}},
		{name: "named hosts only", devices: 10, rollout: "{batch: 5}", opts: []Option{WithHosts("pi-004", "pi-002", "pi-009")}, want: []string{"canary: 1 (1)", "wave1: 2 (2)"}},
		{name: "as many waves as the workflow's jobs", devices: 7, rollout: "{batch: 2}", opts: []Option{WithWaveJobs(3)}, want: []string{"canary: 1 (1)", "wave1: 2 (2)", "wave2: 2 (2)", "wave3: 2 (2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := NewRunnerPlan(runnerManifest(t, tt.devices, tt.rollout), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, shape(p)); diff != "" {
				t.Errorf("waves (-want +got):\n%s", diff)
			}
			if p.Digest != digest {
				t.Errorf("digest %s, want %s", p.Digest, digest)
			}
			// Every device once, in the plan's order, each matrix within
			// what Actions takes.
			seen := map[string]bool{}
			for _, d := range p.Devices() {
				if seen[d.Host] {
					t.Errorf("%s is planned twice", d.Host)
				}
				seen[d.Host] = true
				if d.Runner != "device-"+d.Host {
					t.Errorf("%s runs on %q, want device-%s", d.Host, d.Runner, d.Host)
				}
			}
			if want := tt.devices; len(tt.opts) == 0 && len(seen) != want {
				t.Errorf("%d devices planned, want %d", len(seen), want)
			}
			for _, w := range p.Waves {
				if n := len(w.Matrix.Include); n > MaxMatrix {
					t.Errorf("%s has %d jobs, more than %d", w.Name, n, MaxMatrix)
				}
				for _, j := range w.Matrix.Include {
					if j.Wave != w.Name {
						t.Errorf("%s in %s says wave %s", j.Host, w.Name, j.Wave)
					}
				}
			}
		})
	}
}

func TestNewRunnerPlanJobs(t *testing.T) {
	t.Parallel()
	m := runnerManifest(t, 3, "{canary: 1, batch: 2, max_failures: 1, offline: skip, wave_timeout: 90s}")
	p, err := NewRunnerPlan(m)
	if err != nil {
		t.Fatal(err)
	}
	want := &RunnerPlan{
		Image:          m.Image,
		Digest:         "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		MaxFailures:    1,
		Rollback:       true,
		Offline:        manifest.OfflineSkip,
		TimeoutMinutes: 2,
		Canary:         &RunnerWave{Name: "canary", MaxParallel: 1, Matrix: RunnerMatrix{Include: []RunnerJob{{Host: "pi-001", Runner: "device-pi-001", Wave: "canary"}}}},
		Waves: []RunnerWave{{Name: "wave1", MaxParallel: 2, Matrix: RunnerMatrix{Include: []RunnerJob{
			{Host: "pi-002", Runner: "device-pi-002", Wave: "wave1"},
			{Host: "pi-003", Runner: "device-pi-003", Wave: "wave1"},
		}}}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	// The defaults: a device that did not report fails the rollout, after
	// 30 minutes.
	p, err = NewRunnerPlan(runnerManifest(t, 2, ""))
	if err != nil {
		t.Fatal(err)
	}
	if p.Offline != manifest.OfflineFail || p.TimeoutMinutes != 30 || p.MaxFailures != 0 {
		t.Errorf("defaults: offline %s, timeout %d min, max_failures %d; want fail, 30, 0", p.Offline, p.TimeoutMinutes, p.MaxFailures)
	}
}

func TestNewRunnerPlanRefuses(t *testing.T) {
	t.Parallel()
	mixed, err := manifest.Parse([]byte(`image: registry.example.com/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
service: {name: app, health: {tcp: 8080}}
hosts:
  - {name: pi-001, runner: device-pi-001}
  - {name: edge1, address: 10.0.0.1, user: pi, fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
`), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want string
	}{{
		name: "a host that is no runner",
		run:  func() error { _, err := NewRunnerPlan(mixed); return err },
		want: "planning runner jobs: host edge1 has no runner; give every host runner: LABEL",
	}, {
		name: "more waves than the workflow has jobs",
		run: func() error {
			_, err := NewRunnerPlan(runnerManifest(t, 9, "{batch: 2}"), WithWaveJobs(3))
			return err
		},
		want: "the rollout needs 4 waves and the workflow has 3 wave jobs; raise rollout.batch to 3",
	}, {
		name: "more canaries than one matrix takes",
		run: func() error {
			_, err := NewRunnerPlan(runnerManifest(t, 300, "{canary: 257}"))
			return err
		},
		want: "rollout.canary is 257; one canary job takes at most 256 devices",
	}, {
		// Deployed at once, every runner host would get this machine's
		// engine.
		name: "a deploy to several runner hosts",
		run:  func() error { _, err := NewPlan(runnerManifest(t, 3, "")); return err },
		want: "hosts pi-001, pi-002, pi-003 are runners: each deploys in its own job, on its device; give the job's device with --host NAME",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.run()
			var ie *InputError
			if !errors.As(err, &ie) || exitcode.Of(err) != exitcode.Invalid {
				t.Fatalf("err = %v (exit %d), want an *InputError, exit 3", err, exitcode.Of(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
		})
	}
	// One runner host, the job's own device, deploys as a local host.
	p, err := NewPlan(runnerManifest(t, 3, ""), WithHosts("pi-002"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hosts) != 1 || !p.Hosts[0].Local || p.Hosts[0].Runner != "device-pi-002" || p.Hosts[0].Env["DEVICE_ID"] != "2" {
		t.Errorf("the job's device: %+v, want pi-002, local, with its own env", p.Hosts)
	}
}
