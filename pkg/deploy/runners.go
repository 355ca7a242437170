package deploy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// MaxMatrix is the most jobs GitHub Actions makes of one matrix; a wave
// with more devices is split into further waves.
const MaxMatrix = 256

// RunnerPlan is a rollout through the devices' own self-hosted runners:
// the same canaries and batches as [NewPlan]'s waves, each one a job
// matrix a workflow feeds to strategy.matrix. Each job runs on its
// device and deploys there (deploy --host NAME against its own engine).
type RunnerPlan struct {
	Image  string `json:"image"`
	Digest string `json:"digest"`
	// MaxFailures is the failure budget of the whole rollout: once more
	// devices failed, no further wave starts.
	MaxFailures int `json:"max_failures"`
	// Rollback says a stopped rollout puts back the devices it updated.
	Rollback bool `json:"rollback"`
	// Offline says whether a device whose job did not report counts as
	// failed; TimeoutMinutes is each job's timeout-minutes.
	Offline        manifest.Offline `json:"offline"`
	TimeoutMinutes int              `json:"timeout_minutes"`
	// Canary is every canary device in one matrix run one at a time
	// (max-parallel 1); nil without canaries.
	Canary *RunnerWave `json:"canary,omitempty"`
	// Waves are the batches, each at most rollout.batch and MaxMatrix
	// devices.
	Waves []RunnerWave `json:"waves"`
}

// RunnerWave is one wave's job matrix.
type RunnerWave struct {
	// Name is canary, wave1, wave2, ...: the workflow's job.
	Name        string       `json:"name"`
	MaxParallel int          `json:"max_parallel"`
	Matrix      RunnerMatrix `json:"matrix"`
}

// RunnerMatrix is what strategy.matrix takes.
type RunnerMatrix struct {
	Include []RunnerJob `json:"include"`
}

// RunnerJob is one device's job: its host name in the manifest (deploy
// --host), its runner's label (runs-on) and its wave.
type RunnerJob struct {
	Host   string `json:"host"`
	Runner string `json:"runner"`
	Wave   string `json:"wave"`
}

// Devices are the plan's devices in rollout order, with their waves.
func (p *RunnerPlan) Devices() []RunnerJob {
	var out []RunnerJob
	if p.Canary != nil {
		out = append(out, p.Canary.Matrix.Include...)
	}
	for _, w := range p.Waves {
		out = append(out, w.Matrix.Include...)
	}
	return out
}

// WithWaveJobs says how many wave jobs (after the canary) the workflow
// has: a plan with more waves is refused, since the devices of the waves
// beyond them would never be deployed.
func WithWaveJobs(n int) Option { return func(o *options) { o.waveJobs = n } }

// NewRunnerPlan plans the rollout of m's image through its runner hosts
// (WithImage, WithHosts and WithWaveJobs matter). Every selected host must
// be a runner host. Its errors are *InputError.
func NewRunnerPlan(m *manifest.Manifest, opts ...Option) (*RunnerPlan, error) {
	o := makeOptions(opts)
	o.runners = true
	p, err := newPlan(m, o)
	if err != nil {
		return nil, err
	}
	var notRunners []string
	for _, h := range p.Hosts {
		if h.Runner == "" {
			notRunners = append(notRunners, h.Name)
		}
	}
	if len(notRunners) > 0 {
		return nil, &InputError{fmt.Errorf("planning runner jobs: %s no runner; give every host runner: LABEL (its device's self-hosted runner), or deploy SSH hosts without --plan runners",
			plural(notRunners))}
	}
	rp := &RunnerPlan{
		Image: p.Image, Digest: p.Digest,
		MaxFailures:    m.Rollout.MaxFailures,
		Rollback:       m.Rollout.Rollback,
		Offline:        m.Rollout.OfflinePolicy(),
		TimeoutMinutes: m.Rollout.TimeoutMinutes(),
		Waves:          []RunnerWave{},
	}
	job := func(i int, wave string) RunnerJob {
		return RunnerJob{Host: p.Hosts[i].Name, Runner: p.Hosts[i].Runner, Wave: wave}
	}
	// The plan's canaries are waves of one: one matrix whose jobs run one
	// at a time keeps that order, in one job of the workflow.
	var canaries []int
	for _, w := range p.Waves {
		if p.Hosts[w[0]].Canary {
			canaries = append(canaries, w[0])
			continue
		}
		for start := 0; start < len(w); start += MaxMatrix {
			name := fmt.Sprintf("wave%d", len(rp.Waves)+1)
			rw := RunnerWave{Name: name}
			for _, i := range w[start:min(start+MaxMatrix, len(w))] {
				rw.Matrix.Include = append(rw.Matrix.Include, job(i, name))
			}
			rw.MaxParallel = len(rw.Matrix.Include)
			rp.Waves = append(rp.Waves, rw)
		}
	}
	if len(canaries) > MaxMatrix {
		return nil, &InputError{fmt.Errorf("planning runner jobs: rollout.canary is %d; one canary job takes at most %d devices", len(canaries), MaxMatrix)}
	}
	if len(canaries) > 0 {
		rp.Canary = &RunnerWave{Name: "canary", MaxParallel: 1}
		for _, i := range canaries {
			rp.Canary.Matrix.Include = append(rp.Canary.Matrix.Include, job(i, "canary"))
		}
	}
	if o.waveJobs > 0 && len(rp.Waves) > o.waveJobs {
		per := (len(p.Hosts) - len(canaries) + o.waveJobs - 1) / o.waveJobs
		return nil, &InputError{fmt.Errorf("planning runner jobs: the rollout needs %d waves and the workflow has %d wave jobs; raise rollout.batch to %d (at most %d devices a wave), or add wave jobs to the workflow",
			len(rp.Waves), o.waveJobs, per, MaxMatrix)}
	}
	return rp, nil
}

// checkRunnerHosts refuses a deploy (not a runner plan) to more than one
// runner host: each deploys in its own job, on its own device, to that
// device's engine; deployed together they would all go to this machine's.
func checkRunnerHosts(hosts []manifest.Host, o options) error {
	if o.runners {
		return nil
	}
	var runners []string
	for _, h := range hosts {
		if h.Runner != "" {
			runners = append(runners, h.Name)
		}
	}
	if len(runners) <= 1 {
		return nil
	}
	return &InputError{errors.New("planning: hosts " + strings.Join(runners, ", ") + " are runners: each deploys in its own job, on its device; give the job's device with --host NAME, or plan the jobs with --plan runners")}
}

// plural is "host NAME has" or "hosts A, B have".
func plural(names []string) string {
	if len(names) == 1 {
		return "host " + names[0] + " has"
	}
	return "hosts " + strings.Join(names, ", ") + " have"
}
