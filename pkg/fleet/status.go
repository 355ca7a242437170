package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xedgesim/simulate/internal/readlimit"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// State is where one device stands.
type State string

// The states.
const (
	// Updated: the device runs the rollout's digest (Unchanged when it
	// already did).
	Updated   State = "updated"
	Unchanged State = "unchanged"
	// RolledBack: its deploy failed its health check, or the stopped
	// rollout put it back; it runs its old digest again.
	RolledBack State = "rolled back"
	// Failed: its deploy failed and it may not run what it ran before.
	Failed State = "failed"
	// Offline: its wave ran but its job left no report (its runner was
	// offline, or the job timed out); it still runs its old digest.
	Offline State = "offline"
	// NotStarted: the rollout stopped before its wave, or has not
	// reached it yet.
	NotStarted State = "not started"
)

// Device is one device of the plan.
type Device struct {
	Host   string `json:"host"`
	Runner string `json:"runner"`
	Wave   string `json:"wave"`
	State  State  `json:"state"`
	// Digest is what the device runs as far as its reports tell, "" when
	// they do not (a device that never reported).
	Digest    string `json:"digest,omitempty"`
	OldDigest string `json:"old_digest,omitempty"`
	Platform  string `json:"platform,omitempty"`
	Error     string `json:"error,omitempty"`
	// Started is when its deploy began; Duration is its deploy's.
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration_ns,omitempty"`
	// DeployID names its deploy (a timestamp and a random suffix).
	DeployID string `json:"deploy_id,omitempty"`
	// RollbackOf is set when the stopped rollout put the device back:
	// the digest it was updated to.
	RollbackOf string `json:"rollback_of,omitempty"`
	// Counted says the device counts against the failure budget.
	Counted bool `json:"counted,omitempty"`
}

// Wave is one wave's outcome.
type Wave struct {
	Name    string `json:"name"`
	Devices int    `json:"devices"`
	// Ran is false for a wave the rollout did not reach (or stopped
	// before).
	Ran bool `json:"ran"`
	// The devices of the wave in each state.
	States map[State]int `json:"states"`
	// Started is when its first device's deploy began, Finished when its
	// last one ended (zero when no device reported).
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

// Status is where a rollout stands.
type Status struct {
	Image       string           `json:"image"`
	Digest      string           `json:"digest"`
	MaxFailures int              `json:"max_failures"`
	Offline     manifest.Offline `json:"offline"`
	// Through is the last wave looked at; the later ones are not started.
	Through string `json:"through"`
	// Failures are the devices that count against the budget; Stopped
	// says there are more than MaxFailures, and Reason why.
	Failures int    `json:"failures"`
	Stopped  bool   `json:"stopped"`
	Reason   string `json:"reason,omitempty"`
	// Done says every wave ran and the rollout did not stop.
	Done    bool     `json:"done"`
	Waves   []Wave   `json:"waves"`
	Devices []Device `json:"devices"`
	// Rollback are the devices a stopped rollout must put back (with
	// rollout.rollback): those it updated. Empty otherwise.
	Rollback []deploy.RunnerJob `json:"rollback"`
}

// MaxReportSize bounds one report file.
const MaxReportSize = 16 << 20

// MaxReports bounds the report files of one status.
const MaxReports = 100000

// ReadReports reads every deploy report (*.json with a hosts list) under
// dir, in path order: the device jobs' artifacts as download-artifact
// puts them, one folder each, or any results folder. Other JSON files are
// passed over.
func ReadReports(dir string) ([]deploy.Report, error) {
	var reps []deploy.Report
	n := 0
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			return nil
		}
		if n++; n > MaxReports {
			return fmt.Errorf("more than %d JSON files under %s", MaxReports, dir)
		}
		b, err := readlimit.ReadFile(path, MaxReportSize)
		if err != nil {
			return err
		}
		var probe map[string]json.RawMessage
		if json.Unmarshal(b, &probe) != nil || probe["hosts"] == nil || probe["image"] == nil {
			return nil
		}
		var r deploy.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return &ReportError{Path: path, Err: err}
		}
		reps = append(reps, r)
		return nil
	})
	if err != nil {
		var re *ReportError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, fmt.Errorf("reading the deploy reports: %w", err)
	}
	return reps, nil
}

// ReportError is a report that cannot be read (exit code 3).
type ReportError struct {
	Path string
	Err  error
}

func (e *ReportError) Error() string {
	return fmt.Sprintf("reading the deploy report %s: %v", e.Path, e.Err)
}
func (e *ReportError) Unwrap() error { return e.Err }

// ExitCode is 3: the reports are the status's input.
func (e *ReportError) ExitCode() int { return 3 }

// Evaluate tells where the rollout of p stands from the reports its
// device jobs (and rollback jobs) left, looking at the waves up to
// through ("" for all of them): each wave in turn counts its failed
// devices, and its devices without a report when the plan says offline:
// fail; once more than max_failures count, the later waves are not
// started.
func Evaluate(p *deploy.RunnerPlan, reps []deploy.Report, through string) (*Status, error) {
	names := waveNames(p)
	if through != "" && !slices.Contains(names, through) {
		return nil, &deploy.InputError{Err: fmt.Errorf("no wave %q in the plan; it has %s", through, strings.Join(names, ", "))}
	}
	s := &Status{Image: p.Image, Digest: p.Digest, MaxFailures: p.MaxFailures, Offline: p.Offline, Through: through, Rollback: []deploy.RunnerJob{}}
	if s.Through == "" && len(names) > 0 {
		s.Through = names[len(names)-1]
	}
	deploys, rollbacks := byHost(p, reps)
	reached := true
	for _, w := range waves(p) {
		wave := Wave{Name: w.Name, Devices: len(w.Matrix.Include), Ran: reached && !s.Stopped, States: map[State]int{}}
		for _, j := range w.Matrix.Include {
			d := Device{Host: j.Host, Runner: j.Runner, Wave: j.Wave, State: NotStarted}
			if wave.Ran {
				d = device(j, deploys[j.Host], rollbacks[j.Host], p.Offline)
				if d.Counted {
					s.Failures++
				}
			}
			wave.States[d.State]++
			if !d.Started.IsZero() {
				if wave.Started.IsZero() || d.Started.Before(wave.Started) {
					wave.Started = d.Started
				}
				if end := d.Started.Add(d.Duration); end.After(wave.Finished) {
					wave.Finished = end
				}
			}
			s.Devices = append(s.Devices, d)
		}
		s.Waves = append(s.Waves, wave)
		if wave.Ran && s.Failures > s.MaxFailures && !s.Stopped {
			s.Stopped = true
			s.Reason = fmt.Sprintf("the rollout stopped after %s: %d failed device(s), max_failures %d", w.Name, s.Failures, s.MaxFailures)
		}
		if w.Name == s.Through {
			reached = false
		}
	}
	s.Done = !s.Stopped && s.Through == names[len(names)-1]
	if s.Stopped && p.Rollback {
		for _, d := range s.Devices {
			if d.State == Updated {
				s.Rollback = append(s.Rollback, deploy.RunnerJob{Host: d.Host, Runner: d.Runner, Wave: d.Wave})
			}
		}
	}
	return s, nil
}

// waves are the plan's canary (when it has one) and waves in order.
func waves(p *deploy.RunnerPlan) []deploy.RunnerWave {
	var ws []deploy.RunnerWave
	if p.Canary != nil {
		ws = append(ws, *p.Canary)
	}
	return append(ws, p.Waves...)
}

func waveNames(p *deploy.RunnerPlan) []string {
	var out []string
	for _, w := range waves(p) {
		out = append(out, w.Name)
	}
	return out
}

// byHost sorts the reports' host entries: an entry deploying the plan's
// digest is the host's deploy (the last one read wins: a job run again),
// one deploying another digest the rollback to it.
func byHost(p *deploy.RunnerPlan, reps []deploy.Report) (deploys, rollbacks map[string]*deploy.HostReport) {
	deploys, rollbacks = map[string]*deploy.HostReport{}, map[string]*deploy.HostReport{}
	for _, r := range reps {
		for i := range r.Hosts {
			h := &r.Hosts[i]
			if h.NewDigest == p.Digest || h.NewDigest == "" && r.Image == p.Image {
				deploys[h.Host] = h
				continue
			}
			rollbacks[h.Host] = h
		}
	}
	return deploys, rollbacks
}

// device is one device of a wave that ran.
func device(j deploy.RunnerJob, dep, rb *deploy.HostReport, offline manifest.Offline) Device {
	d := Device{Host: j.Host, Runner: j.Runner, Wave: j.Wave}
	if dep == nil {
		d.State = Offline
		d.Error = "no report: the device's job did not finish (its runner offline, or the wave's timeout passed)"
		d.Counted = offline == manifest.OfflineFail
		return d
	}
	d.Platform, d.OldDigest, d.Error, d.Started, d.Duration = dep.Platform, dep.OldDigest, dep.Error, dep.Started, dep.Duration
	switch dep.Result {
	case deploy.ResultDeployed:
		d.State, d.Digest = Updated, dep.NewDigest
		if dep.Unchanged {
			d.State = Unchanged
		}
	case deploy.ResultRolledBack:
		d.State, d.Digest, d.Counted = RolledBack, dep.OldDigest, true
	case deploy.ResultFailed:
		d.State, d.Digest, d.Counted = Failed, dep.OldDigest, true
	default:
		// Skipped: the job's deploy was cancelled before it began.
		d.State, d.Digest, d.Counted = Failed, dep.OldDigest, true
		if d.Error == "" {
			d.Error = "the deploy was cancelled before it began"
		}
	}
	if rb != nil {
		switch rb.Result {
		case deploy.ResultDeployed:
			d.RollbackOf = d.Digest
			d.State, d.Digest = RolledBack, rb.NewDigest
			if d.Error == "" {
				d.Error = "put back: the rollout stopped"
			}
		default:
			d.State = Failed
			d.Error = "putting back " + rb.NewDigest + " failed: " + rb.Error
		}
	}
	return d
}
