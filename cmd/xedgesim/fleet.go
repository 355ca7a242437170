package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/readlimit"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/fleet"
)

// runRunnerPlan is deploy --plan runners: the rollout's job matrices,
// printed as JSON and, under Actions, one output per wave.
func runRunnerPlan(cmd *cobra.Command, u *ui, m *manifest.Manifest, r deployRequest) error {
	if r.plan != "runners" {
		return usageError("--plan %q: the one plan is runners (the job matrices of a rollout through the devices' own runners)", r.plan)
	}
	if r.waveJobs < 0 {
		return usageError("--wave-jobs %d: give the number of wave jobs the workflow has", r.waveJobs)
	}
	p, err := deploy.NewRunnerPlan(m, append(r.planOptions(), deploy.WithWaveJobs(r.waveJobs))...)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(b))
	return u.publish(runnerPlanOutputs(p, r.waveJobs), nil)
}

// jobMargin is how many minutes a device job has beyond its deploy step's
// timeout-minutes.
const jobMargin = 5

// runnerPlanOutputs are the plan as the workflow reads it: canary, wave1,
// wave2, ... each a strategy.matrix (empty for a wave the plan does not
// have, so that its job is skipped), with its max-parallel, and the
// settings every wave shares.
func runnerPlanOutputs(p *deploy.RunnerPlan, waveJobs int) actionResult {
	matrix := func(w *deploy.RunnerWave) (string, string) {
		if w == nil {
			return "", "1"
		}
		b, _ := json.Marshal(w.Matrix) // strings and ints only
		return string(b), strconv.Itoa(w.MaxParallel)
	}
	whole, _ := json.Marshal(p)
	c, cp := matrix(p.Canary)
	outs := []output{
		{"plan", string(whole)},
		{"image-ref", p.Image},
		{"digest", p.Digest},
		{"canary", c}, {"canary-max-parallel", cp},
		{"waves", strconv.Itoa(len(p.Waves))},
		{"max-failures", strconv.Itoa(p.MaxFailures)},
		{"offline", string(p.Offline)},
		{"timeout-minutes", strconv.Itoa(p.TimeoutMinutes)},
		// The device job's own limit leaves its deploy step's time out
		// and then the upload of its report: a job cut off at once would
		// not say what its device did.
		{"job-timeout-minutes", strconv.Itoa(p.TimeoutMinutes + jobMargin)},
	}
	for i := 0; i < max(waveJobs, len(p.Waves)); i++ {
		var w *deploy.RunnerWave
		if i < len(p.Waves) {
			w = &p.Waves[i]
		}
		m, mp := matrix(w)
		outs = append(outs, output{fmt.Sprintf("wave%d", i+1), m}, output{fmt.Sprintf("wave%d-max-parallel", i+1), mp})
	}
	return actionResult{outputs: outs}
}

// fleetRequest is what fleet status or fleet rollback was asked, by flags
// or by the fleet action's inputs.
type fleetRequest struct {
	deploy deployRequest
	// reports is the folder of the device jobs' reports; through the last
	// wave to look at; out where the status JSON goes.
	reports, through, out string
	// from is the device's deploy report that fleet rollback undoes.
	from string
}

const fleetStatusLong = `Status tells where a rollout through the devices' own runners stands
(deploy --plan runners), from the deploy reports its device jobs left in a
folder (their artifacts, downloaded, or any results folder): which device
runs which digest, which failed and why, which never reported (offline)
and still runs its old digest, and each wave's timeline. The plan is worked
out again from the manifest and the image, as the plan job did.

Waves are counted in order: failed devices, and with rollout.offline: fail
the devices that never reported, count against rollout.max_failures; once
more count, the later waves are not started. --through WAVE looks at the
waves up to WAVE only (a gate before the next one). Under Actions the
table goes to the step summary, and the outputs say whether the next wave
may start (go) and, for a stopped rollout with rollout.rollback, which
devices to put back (rollback, a strategy.matrix).

Exit codes: 0 the rollout goes on or is complete, 2 it stopped (more
failures than max_failures), 3 invalid manifest, flags or reports.`

const fleetRollbackLong = `Rollback puts one device back on what it ran before a rollout through
runners: it reads the device's deploy report (--from, its job's artifact),
and deploys the old digest it names, from the same repository, to this
machine's engine, as deploy --host does for the device's own job. Run it
on the device, in a job on its runner. Files are the manifest's, rendered
again for the device.

Exit codes: 0 put back, 1 runtime error, 2 the old digest's health check
failed, 3 invalid manifest, flags or report, or nothing to go back to.`

func newFleet() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Follow and undo rollouts through the devices' own runners",
	}
	var st fleetRequest
	status := &cobra.Command{
		Use:     "status -f fleet.yaml --reports DIR",
		Short:   "Which device runs which digest after a rollout through runners",
		Long:    fleetStatusLong,
		Example: "  xedgesim fleet status -f fleet.yaml --image registry.example.com/app@sha256:0123... --reports reports/\n  xedgesim fleet status -f fleet.yaml --reports reports/ --through canary --out fleet-status.json",
		Args:    noArgs("fleet status"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			return runFleetStatus(cmd, u, st)
		},
	}
	fl := status.Flags()
	fl.StringVarP(&st.deploy.file, "file", "f", "", "the deploy manifest whose hosts are runners")
	fl.StringVar(&st.deploy.image, "image", "", "the rollout's REPO@sha256:..., instead of the manifest's image")
	fl.StringVar(&st.reports, "reports", "", "the folder of the device jobs' deploy reports (their downloaded artifacts)")
	fl.StringVar(&st.through, "through", "", "look at the waves up to this one (canary, wave1, ...): a gate before the next")
	fl.StringVar(&st.out, "out", "", "write the status (JSON) to this file")
	fl.IntVar(&st.deploy.waveJobs, "wave-jobs", 0, "the wave jobs the workflow has, as deploy --plan runners took it")
	fl.BoolVar(&st.deploy.insecure, "insecure", false, "the image's registry is plain HTTP (test registries only); only parses the reference")

	var rb fleetRequest
	rollback := &cobra.Command{
		Use:     "rollback -f fleet.yaml --host NAME --from deploy-report.json",
		Short:   "Put one device back on the digest it ran before a rollout through runners",
		Long:    fleetRollbackLong,
		Example: "  xedgesim fleet rollback -f fleet.yaml --host pi-017 --from fleet-pi-017/deploy-report.json --report rollback-report.json",
		Args:    noArgs("fleet rollback"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			return runFleetRollback(cmd, u, rb)
		},
	}
	fl = rollback.Flags()
	fl.StringVarP(&rb.deploy.file, "file", "f", "", "the deploy manifest whose hosts are runners")
	fl.StringArrayVar(&rb.deploy.hosts, "host", nil, "the device (this job's) to put back")
	fl.StringVar(&rb.from, "from", "", "the device's deploy report from the rollout (its job's artifact)")
	fl.StringVar(&rb.deploy.report, "report", "", "write the rollback's deploy report (JSON) to this file")
	fl.StringArrayVar(&rb.deploy.caFiles, "ca-file", nil, "also trust the PEM CA certificates in this file for the image's registry (repeatable)")
	fl.BoolVar(&rb.deploy.insecure, "insecure", false, "allow plain HTTP and skip TLS verification for the image's registry (test registries only)")
	cmd.AddCommand(status, rollback)
	return cmd
}

// runFleetStatus is fleet status, for the verb and the action alike.
func runFleetStatus(cmd *cobra.Command, u *ui, r fleetRequest) error {
	if r.reports == "" {
		return usageError("fleet status needs --reports DIR (the folder of the device jobs' deploy reports)")
	}
	m, err := loadManifest(u, r.deploy.file, "fleet status")
	if err != nil {
		return err
	}
	p, err := deploy.NewRunnerPlan(m, append(r.deploy.planOptions(), deploy.WithWaveJobs(r.deploy.waveJobs))...)
	if err != nil {
		return err
	}
	reps, err := fleet.ReadReports(r.reports)
	if err != nil {
		return err
	}
	s, err := fleet.Evaluate(p, reps, r.through)
	if err != nil {
		return err
	}
	fmt.Fprint(cmd.OutOrStdout(), s.Text())
	var werr error
	if r.out != "" {
		werr = writeJSON(r.out, "fleet status", s)
	}
	var runErr error
	if s.Stopped {
		runErr = exitcode.New(exitcode.Gate, errors.New(s.Reason))
	}
	return errors.Join(u.publish(fleetStatusOutputs(s, r.out), runErr), werr)
}

// fleetStatusOutputs are what a gate or the final job reads.
func fleetStatusOutputs(s *fleet.Status, out string) actionResult {
	hosts := func(keep func(fleet.Device) bool) string {
		var names []string
		for _, d := range s.Devices {
			if keep(d) {
				names = append(names, d.Host)
			}
		}
		return strings.Join(names, ",")
	}
	rollback := ""
	if len(s.Rollback) > 0 {
		b, _ := json.Marshal(deploy.RunnerMatrix{Include: s.Rollback}) // strings only
		rollback = string(b)
	}
	outs := []output{
		{"go", strconv.FormatBool(!s.Stopped)},
		{"stopped", strconv.FormatBool(s.Stopped)},
		{"done", strconv.FormatBool(s.Done)},
		{"failures", strconv.Itoa(s.Failures)},
		{"rollback", rollback},
		{"updated", hosts(func(d fleet.Device) bool { return d.State == fleet.Updated || d.State == fleet.Unchanged })},
		{"failed", hosts(func(d fleet.Device) bool { return d.State == fleet.Failed || d.State == fleet.RolledBack })},
		{"offline", hosts(func(d fleet.Device) bool { return d.State == fleet.Offline })},
		{"old-digest", hosts(func(d fleet.Device) bool {
			return d.Digest != s.Digest && d.State != fleet.Updated && d.State != fleet.Unchanged
		})},
	}
	if out != "" {
		outs = append(outs, output{"status", out})
	}
	return actionResult{outputs: outs, summary: s.Markdown()}
}

// runFleetRollback is fleet rollback, for the verb and the action alike:
// the device's old digest, deployed as its own job deploys.
func runFleetRollback(cmd *cobra.Command, u *ui, r fleetRequest) error {
	if len(r.deploy.hosts) != 1 {
		return usageError("fleet rollback needs one --host NAME: the device this job runs on")
	}
	if r.from == "" {
		return usageError("fleet rollback needs --from deploy-report.json (the device's report from the rollout)")
	}
	m, err := loadManifest(u, r.deploy.file, "fleet rollback")
	if err != nil {
		return err
	}
	old, err := previousImage(r.from, r.deploy.hosts[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "fleet: putting %s back on %s\n", r.deploy.hosts[0], old)
	r.deploy.image = old
	p, rep, err := runDeploy(cmd, u, m, r.deploy)
	return u.publish(deployOutputs(p, rep, r.deploy, err), err)
}

// previousImage is what host ran before the deploy the report at path
// records: the old digest, in the deployed image's repository.
func previousImage(path, host string) (string, error) {
	b, err := readlimit.ReadFile(path, fleet.MaxReportSize)
	if err != nil {
		return "", exitcode.New(exitcode.Invalid, fmt.Errorf("reading the deploy report: %w", err))
	}
	var rep deploy.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return "", exitcode.New(exitcode.Invalid, &fleet.ReportError{Path: path, Err: err})
	}
	for _, h := range rep.Hosts {
		if h.Host != host {
			continue
		}
		if h.Result != deploy.ResultDeployed || h.Unchanged {
			return "", exitcode.New(exitcode.Invalid, fmt.Errorf("%s: %s was not updated by that deploy (%s): there is nothing to put back", path, host, h.Result))
		}
		if h.OldDigest == "" {
			return "", exitcode.New(exitcode.Invalid, fmt.Errorf("%s: %s ran no release of the service before that deploy: there is no digest to go back to", path, host))
		}
		ref, err := name.NewDigest(rep.Image, name.WeakValidation, name.Insecure)
		if err != nil {
			return "", exitcode.New(exitcode.Invalid, fmt.Errorf("%s: the image %q: %w", path, rep.Image, err))
		}
		return ref.Context().Name() + "@" + h.OldDigest, nil
	}
	return "", exitcode.New(exitcode.Invalid, fmt.Errorf("%s: no host %s in the report", path, host))
}

// refused writes, when a report was asked for, a deploy report saying that
// every planned host was refused the image (err, the evidence check's),
// and returns err: a device job refused its digest must say so in its
// report, or the rollout's record would take the device for offline.
func (r deployRequest) refused(p *deploy.Plan, err error) error {
	if r.report == "" {
		return err
	}
	if werr := writeJSON(r.report, "deploy", refusedReport(p, err)); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// refusedReport is the report of a deploy refused before any host was
// touched: each host failed, on the digest it had.
func refusedReport(p *deploy.Plan, err error) deploy.Report {
	rep := deploy.Report{Image: p.Image, Hosts: []deploy.HostReport{}}
	for _, h := range p.Hosts {
		rep.Hosts = append(rep.Hosts, deploy.HostReport{Host: h.Name, Platform: h.Platform, NewDigest: p.Digest, Result: deploy.ResultFailed, Error: err.Error()})
	}
	return rep
}
