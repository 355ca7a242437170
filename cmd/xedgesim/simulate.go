package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/gate"
	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/metrics"
	"github.com/xedgesim/simulate/pkg/report"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/container"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// simulateOptions are the simulate verb's settings, from flags or from
// action inputs.
type simulateOptions struct {
	scenarios     []string
	seed          *int64
	seeds         string
	shard         string
	shards        int
	plan          bool
	images        []string
	out           string
	csv           bool
	dryRun        bool
	strict        bool
	failOnWarning bool
	python        string
	connect       bool
	// upstream drops per-node config as upstream does; console is
	// "upstream" to print upstream's console summary beside ours.
	upstream bool
	console  string
	limits   limitOptions
}

func newSimulate() *cobra.Command {
	var (
		o    simulateOptions
		seed int64
	)
	cmd := &cobra.Command{
		Use:   "simulate [flags] SCENARIO...",
		Short: "Run xEdgeSim scenarios as a gate",
		Long: `Run xEdgeSim scenario files, check their assertions and write reports.

With one scenario and one seed, results go to --out (default
results/<scenario name>). With several scenarios or seeds, each run goes to
<out>/<scenario name>/seed-<n> and the reports of the whole sweep to --out
(default results). Each run writes summary.json, and with --csv (or
report: {csv: true}) upstream's <node_id>_metrics.csv files; the sweep writes
summary.json, junit.xml, summary.md and report.html. timing.json holds the
wall-clock figures; everything else is byte-identical for the same inputs.

Exit codes: 0 pass, 1 runtime error, 2 gate failed, 3 invalid scenario.`,
		Example: `  xedgesim simulate scenarios/m0_baseline.yaml
  xedgesim simulate --seed 7 --csv --out /tmp/m0 scenarios/m0_baseline.yaml
  xedgesim simulate --seeds 1-20 'scenarios/*.yaml'
  xedgesim simulate --seeds 1-100 --plan --shards 4 scenarios/gate.yaml   # a workflow matrix
  xedgesim simulate --seeds 1-100 --shard 2/4 scenarios/gate.yaml
  xedgesim simulate --dry-run --strict scenarios/m0_baseline.yaml
  xedgesim simulate --upstream --console upstream scenarios/upstream_nodes.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("simulate needs a scenario file (or a glob of them)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.scenarios = args
			if cmd.Flags().Changed("seed") {
				o.seed = &seed
			}
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			res, err := runSimulate(cmd.Context(), u, o)
			return u.publish(simulateResult(res, err), err)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&seed, "seed", 0, "override the scenarios' seed")
	fl.StringVar(&o.seeds, "seeds", "", "run every seed: 1-20, 1,5,9 or a mix")
	fl.StringVar(&o.shard, "shard", "", "run only shard i/n of the scenario x seed runs")
	fl.IntVar(&o.shards, "shards", 0, "with --plan: print one matrix entry per shard of this many")
	fl.BoolVar(&o.plan, "plan", false, "print the runs as a GitHub Actions matrix (JSON) and run nothing")
	fl.StringArrayVar(&o.images, "image", nil, "replace a docker node's image: NAME=REF (node id or image name)")
	fl.StringVar(&o.out, "out", "", "results directory")
	fl.BoolVar(&o.csv, "csv", false, "write upstream's <node_id>_metrics.csv files")
	fl.BoolVar(&o.dryRun, "dry-run", false, "validate the scenarios and their nodes, run nothing")
	fl.BoolVar(&o.strict, "strict", false, "treat unknown keys as errors")
	fl.BoolVar(&o.failOnWarning, "fail-on-warning", false, "fail the gate when a scenario or run has warnings")
	fl.BoolVar(&o.connect, "connect", false, "connect to every node with a port and no command on localhost:<port>, as upstream does with nodes started by hand")
	fl.BoolVar(&o.upstream, "upstream", false, "run as upstream xEdgeSim does: ignore every node's config: section, which upstream drops (the same as simulation.compat: upstream)")
	fl.StringVar(&o.console, "console", consoleOurs, "console output: xedgesim, or upstream to print upstream's coordinator summary (Virtual time, Wall time, Steps, Speedup) before ours")
	o.limits.flags(cmd)
	fl.StringVar(&o.python, "python", "3.11", "CPython whose float sum() the gateway model reproduces: 3.11 (and earlier; upstream's published results) or 3.12 (and later)")
	return cmd
}

// outcome is what a simulate invocation produced, for the action outputs.
type outcome struct {
	suite                                 report.Suite
	summary, junit, html, mdown, evidence string // paths
	markdown                              []byte
}

func runSimulate(ctx context.Context, u *ui, o simulateOptions) (*outcome, error) {
	sum, err := sumMode(o.python)
	if err != nil {
		return nil, err
	}
	if o.seed != nil && o.seeds != "" {
		return nil, usageError("--seed and --seeds exclude each other")
	}
	switch o.console {
	case "", consoleOurs, consoleUpstream:
	default:
		return nil, usageError("--console %q: use xedgesim or upstream", o.console)
	}
	if err := o.limits.check(); err != nil {
		return nil, err
	}
	var seeds []int64
	if o.seed != nil {
		seeds = []int64{*o.seed}
	} else if o.seeds != "" {
		if seeds, err = parseSeeds(o.seeds); err != nil {
			return nil, err
		}
	}
	files, err := expandScenarios(o.scenarios)
	if err != nil {
		return nil, err
	}
	runs := plan(files, seeds)
	planned, shardI, shardN := len(runs), 0, 0
	if o.shard != "" {
		i, n, err := parseShard(o.shard)
		if err != nil {
			return nil, err
		}
		runs, shardI, shardN = shard(runs, i, n), i, n
	}
	if o.shards < 0 || o.shards > 0 && !o.plan {
		return nil, usageError("--shards goes with --plan and must be positive")
	}
	if o.plan {
		data, err := planJSON(runs, o.shards)
		if err != nil {
			return nil, err
		}
		_, err = u.out.Write(data)
		return nil, err
	}

	// Load every scenario first: all mistakes of all files at once, before
	// anything runs.
	scenarios := map[string]*scenario.Scenario{}
	var loadErrs []error
	warned := false
	for _, f := range files {
		sc, diags, err := scenario.Load(f, append(o.limits.loadOptions(), scenario.WithStrict(o.strict))...)
		u.diagnostics(diags)
		warned = warned || len(diags) > 0
		if err != nil {
			u.invalid(err)
			loadErrs = append(loadErrs, err)
			continue
		}
		scenarios[f] = sc
	}
	if err := errors.Join(loadErrs...); err != nil {
		return nil, exitcode.New(exitcode.Invalid, err)
	}
	// Said once per file, whatever the seeds: which config keys make the
	// results differ from upstream's. Not a warning --fail-on-warning
	// counts: using config is a choice, not a mistake.
	for _, f := range files {
		if d, ok := sim.UpstreamNote(scenarios[f], compatOptions(o)...); ok {
			u.diagnostics([]scenario.Diagnostic{d})
		}
	}
	if err := checkImages(o.images, scenarios); err != nil {
		return nil, err
	}
	if o.dryRun {
		for _, f := range files {
			if err := dryRun(u, scenarios[f], o); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	if len(runs) == 0 {
		fmt.Fprintln(u.out, "this shard has no runs")
		return nil, nil
	}

	// A shard lays its runs out as the whole sweep does, for report merge.
	single := len(runs) == 1 && o.shard == ""
	out := o.out
	if out == "" {
		out = "results"
		if single {
			out = filepath.Join("results", scenarios[runs[0].file].Name)
		}
	}
	// The timeout covers the runs, not the loading: a run it ends gets an
	// error summary and the reports of the whole invocation are written.
	ctx, cancel := o.limits.withTimeout(ctx)
	defer cancel()
	var reports []report.Run
	for _, r := range runs {
		sc := scenarios[r.file]
		dir := out
		if !single {
			seed := sc.Simulation.Seed
			if r.seed != nil {
				seed = *r.seed
			}
			dir = filepath.Join(out, sc.Name, "seed-"+strconv.FormatInt(seed, 10))
		}
		rep, err := runOne(ctx, u, r, sc, dir, o, sum, warned, single)
		if err != nil {
			return nil, err
		}
		reports = append(reports, rep)
		if timedOut(ctx) {
			break
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if o.shard != "" {
		if err := writeShard(out, shardI, shardN, planned); err != nil {
			return nil, err
		}
	}
	suite := report.NewSuite(reports)
	ev, st, err := newEvidence(suite)
	if err != nil {
		return nil, err
	}
	if _, err := st.Write(out); err != nil {
		return nil, err
	}
	return finish(u, suite, ev, out, single)
}

// newEvidence records what ran for promotion: every scenario file by its
// SHA-256, every seed's verdict, and the images by the digest that ran;
// and the in-toto statement that carries it, to be signed.
func newEvidence(s report.Suite) (evidence.Evidence, evidence.Statement, error) {
	var runs []evidence.Run
	sums := map[string]string{}
	for _, r := range s.Runs {
		sha, ok := sums[r.ScenarioFile]
		if !ok {
			var err error
			if sha, err = evidence.FileSHA256(r.ScenarioFile); err != nil {
				return evidence.Evidence{}, evidence.Statement{}, fmt.Errorf("hashing %s: %w", r.ScenarioFile, err)
			}
			sums[r.ScenarioFile] = sha
		}
		run := evidence.Run{Scenario: r.Scenario, File: r.ScenarioFile, SHA256: sha, Seed: r.Seed, Verdict: r.Verdict}
		for _, a := range r.Assertions {
			check := fmt.Sprintf("%s %s %g", a.Metric, a.Operator, a.Value)
			if !a.Passed {
				actual := "actual " + strconv.FormatFloat(a.Actual, 'g', 6, 64)
				if a.Error != "" {
					actual = "not measured: " + a.Error
				}
				run.Failures = append(run.Failures, fmt.Sprintf("%s: %s", check, actual))
			} else {
				run.Passed = append(run.Passed, check)
			}
		}
		if r.Error != "" {
			run.Failures = append(run.Failures, r.Error)
		}
		runs = append(runs, run)
	}
	var imgs []evidence.Image
	seen := map[[2]string]bool{}
	for _, r := range s.Runs {
		for _, n := range r.Nodes {
			// The index and the platform manifest that ran are both
			// subjects: a host checks the digest it runs.
			for _, d := range []string{n.ImageDigest, n.PlatformDigest} {
				k := [2]string{n.ID, d}
				if d != "" && !seen[k] {
					seen[k] = true
					imgs = append(imgs, evidence.Image{Node: n.ID, Ref: n.Image, Digest: d})
				}
			}
		}
	}
	ev := evidence.New(s.Verdict, runs, imgs)
	st, err := evidence.NewStatement(ev, runs)
	return ev, st, err
}

// runOne simulates one scenario with one seed and writes its files.
func runOne(ctx context.Context, u *ui, r runSpec, sc *scenario.Scenario, dir string, o simulateOptions, sum node.SumMode, warned, single bool) (report.Run, error) {
	// Process nodes run in the run's directory: what they write lands in
	// --out (seed-N/ in a sweep), never in the scenario's directory.
	opts := append([]sim.Option{sim.WithSumMode(sum), sim.WithWorkDir(dir)}, compatOptions(o)...)
	seed := sc.Simulation.Seed
	if r.seed != nil {
		seed = *r.seed
		opts = append(opts, sim.WithSeed(seed))
	}
	if o.csv || sc.Report.CSV {
		opts = append(opts, sim.WithCSVDir(dir))
	}
	// Docker nodes run as containers: the image under test, and container
	// logs beside the summary.
	copts := []container.Option{container.WithLogDir(filepath.Join(dir, "logs"))}
	for _, img := range o.images {
		name, ref, _ := strings.Cut(img, "=")
		copts = append(copts, container.WithImage(name, absImage(ref)))
	}
	// The scenario's links shape the containers' real traffic through
	// helpers that run this very binary, or XEDGESIM_SHAPER_BINARY (a
	// static build for the engine's platform).
	exe := getenvOf(ctx)("XEDGESIM_SHAPER_BINARY")
	if exe == "" {
		exe, _ = os.Executable()
	}
	if exe != "" {
		copts = append(copts, container.WithNetwork(sc, seed, exe))
	}
	rt, err := container.New(copts...)
	if err != nil {
		return report.Run{}, err
	}
	opts = append(opts, sim.WithRuntime(rt))
	start, cpu0 := time.Now(), processCPU()
	res, err := sim.Run(ctx, sc, opts...)
	wall, cpu := time.Since(start), processCPU()-cpu0
	var rep report.Run
	switch {
	case err != nil && exitcode.Of(err) == exitcode.Invalid:
		return rep, err
	case err != nil:
		if timedOut(ctx) {
			err = fmt.Errorf("%w after %s: the run did not finish (%v)", errTimeout, o.limits.timeout, err)
		} else if ctx.Err() != nil {
			return rep, fmt.Errorf("simulating %s: %w", r.file, err)
		}
		rep = report.Run{Summary: report.ErrorSummary(sc.Name, r.file, seed, err), Assertions: []report.Outcome{}, Faults: []report.Fault{}, Timeline: []report.Bucket{}}
		var broken *container.UnhealthyError
		if errors.As(err, &broken) {
			// The image under test is broken: the gate fails on the node's
			// line, with the container's last log lines as the reason.
			rep.Verdict = report.Fail
			rep.Assertions = append(rep.Assertions, report.Outcome{Metric: "healthy", Operator: "eq", Value: 1,
				Description: "container " + broken.NodeID + " stays up and healthy", Where: map[string]string{"node": broken.NodeID},
				Error: broken.Error(), File: r.file, Line: broken.Pos.Line, Col: broken.Pos.Col})
			for _, a := range sc.Assertions {
				rep.Assertions = append(rep.Assertions, report.NotMeasured(r.file, a,
					"the run stopped when container "+broken.NodeID+" failed"))
			}
		}
		fmt.Fprintf(u.out, "%s (seed %d): %s\n  %v\n", sc.Name, seed, rep.Verdict, err)
	default:
		u.diagnostics(res.Warnings)
		u.notes(res.Notes) // not counted by --fail-on-warning
		outcomes, passed := gate.Evaluate(sc.Assertions, metrics.New(res))
		verdict := report.Pass
		if !passed || o.failOnWarning && (warned || len(res.Warnings) > 0) {
			verdict = report.Fail
		}
		rep = report.NewRun(r.file, sc, res, outcomes, verdict)
		for _, l := range rt.Links() {
			rep.RealNetwork = append(rep.RealNetwork, report.RealLink{Src: l.Src, Dst: l.Dst, LatencyUS: l.Link.LatencyUS,
				JitterUS: l.Link.JitterUS, LossRate: l.Link.LossRate, BandwidthBPS: l.Link.BandwidthBPS, Faults: l.Faults,
				Packets: l.Packets, Bytes: l.Bytes, Dropped: l.Dropped, DroppedBytes: l.DroppedBytes})
		}
		real := rt.FaultTimes()
		for i, ft := range rt.NodeFaultTimes(sc.Faults) {
			if real == nil {
				real = map[int]container.FaultTime{}
			}
			real[i] = ft
		}
		for i, ft := range real {
			if i < len(rep.Faults) && ft.AppliedUS >= 0 {
				w := &report.RealWindow{AppliedS: float64(ft.AppliedUS) / 1e6}
				if ft.LiftedUS >= 0 {
					lifted := float64(ft.LiftedUS) / 1e6
					w.LiftedS = &lifted
				}
				rep.Faults[i].RealTraffic = w
			}
		}
		if err := writeTiming(dir, res, wall, cpu); err != nil {
			return rep, err
		}
		if o.console == consoleUpstream {
			printUpstream(u.out, res, wall)
		}
		printRun(u.out, rep, wall, o.failOnWarning && verdict == report.Fail && passed, single)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encoding summary: %w", err)
	}
	return rep, report.WriteFile(dir, "summary.json", append(data, '\n'))
}

// finish writes the reports of the whole invocation and turns the verdict
// into the exit code.
func finish(u *ui, s report.Suite, ev evidence.Evidence, out string, single bool) (*outcome, error) {
	res := &outcome{suite: s, summary: filepath.Join(out, "summary.json"), junit: filepath.Join(out, "junit.xml"),
		html: filepath.Join(out, "report.html"), mdown: filepath.Join(out, "summary.md")}
	var err error
	if res.evidence, err = ev.Write(out); err != nil {
		return nil, err
	}
	if !single {
		data, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encoding summary: %w", err)
		}
		if err := report.WriteFile(out, "summary.json", append(data, '\n')); err != nil {
			return nil, err
		}
	}
	junit, err := report.JUnit(s)
	if err != nil {
		return nil, err
	}
	if res.markdown, err = report.Markdown(s); err != nil {
		return nil, err
	}
	html, err := report.HTML(s)
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{"junit.xml": junit, "summary.md": res.markdown, "report.html": html} {
		if err := report.WriteFile(out, name, data); err != nil {
			return nil, err
		}
	}
	u.failedAssertions(s)
	if single {
		fmt.Fprintf(u.out, "  results: %s\n", out)
	} else {
		fmt.Fprintf(u.out, "%d runs: %s\n  results: %s\n", len(s.Runs), s.Verdict, out)
	}
	switch s.Verdict {
	case report.Error:
		return res, exitcode.New(exitcode.Runtime, errors.New("some runs could not finish (see summary.json)"))
	case report.Fail:
		return res, exitcode.New(exitcode.Gate, errors.New("gate failed: "+failedText(s)))
	}
	return res, nil
}

func failedText(s report.Suite) string {
	var failed []string
	for _, r := range s.Runs {
		for _, a := range r.Assertions {
			if !a.Passed {
				failed = append(failed, fmt.Sprintf("%s:%d %s", a.File, a.Line, a.Metric))
			}
		}
		if r.Verdict == report.Fail && len(r.Assertions) == 0 {
			failed = append(failed, r.ScenarioFile+" (warnings)")
		}
	}
	if len(failed) > 5 {
		failed = append(failed[:5], fmt.Sprintf("and %d more", len(failed)-5))
	}
	return strings.Join(failed, ", ")
}

func sumMode(python string) (node.SumMode, error) {
	switch python {
	case "3.12", "3.13", "3.14":
		return node.SumNeumaier, nil
	case "3.11", "3.10", "3.9", "3.8":
		return node.SumPlain, nil
	}
	return 0, usageError("--python %q: use 3.11 (or earlier) or 3.12 (or later)", python)
}

// checkImages validates --image NAME=REF: NAME must be a docker node's id
// or its image's name, in some scenario.
func checkImages(images []string, scenarios map[string]*scenario.Scenario) error {
	for _, img := range images {
		name, ref, ok := strings.Cut(img, "=")
		if !ok || name == "" || ref == "" {
			return usageError("--image %q: write NAME=REF, e.g. broker=registry.local/broker@sha256:...", img)
		}
		found := false
		for _, sc := range scenarios {
			for _, n := range sc.Nodes {
				if n.Implementation != scenario.ImplDocker {
					continue
				}
				image, _ := n.Docker["image"].(string)
				repo, _, _ := strings.Cut(image, ":")
				if n.ID == name || image == name || repo == name {
					found = true
				}
			}
		}
		if !found {
			return usageError("--image %q: no docker node has the id or image %q", img, name)
		}
	}
	return nil
}

// absImage makes the path of an oci:<dir> or tar:<file> reference given on
// the command line absolute: in a scenario such paths are relative to the
// scenario's directory, on the command line to the working directory.
func absImage(ref string) string {
	kind, path, ok := strings.Cut(ref, ":")
	if !ok || kind != "oci" && kind != "tar" || filepath.IsAbs(path) {
		return ref
	}
	if abs, err := filepath.Abs(path); err == nil {
		return kind + ":" + abs
	}
	return ref
}

// dryRun runs every check a run makes before it starts anything (node
// configs, files, commands on PATH, destinations, ports) and starts nothing.
// It refuses, with exit 3, what the run would refuse with exit 3; what only
// this machine lacks (a Docker Engine) is a note.
func dryRun(u *ui, sc *scenario.Scenario, o simulateOptions) error {
	rt, err := container.New()
	if err != nil {
		return err
	}
	warns, err := sim.Check(sc, append(compatOptions(o), sim.WithRuntime(rt))...)
	u.diagnostics(warns)
	if err != nil {
		if exitcode.Of(err) == exitcode.Invalid {
			return err
		}
		fmt.Fprintln(u.out, "note:", err)
	}
	fmt.Fprintf(u.out, "%s: valid (%d nodes, %s network, %g s, quantum %d us, seed %d, %d assertions, %d faults)\n",
		sc.Path, sc.NodeCount(), sc.Network.Model, sc.Simulation.DurationS, sc.Simulation.TimeQuantumUS, sc.Simulation.Seed,
		len(sc.Assertions), len(sc.Faults))
	return nil
}

func writeTiming(dir string, res *sim.Result, wall, cpu time.Duration) error {
	speedup := 0.0
	if wall > 0 {
		speedup = float64(res.VirtualTimeUS) / 1e6 / wall.Seconds()
	}
	// cpu_time_s is the process's CPU time during the run, both cores'.
	data := fmt.Appendf(nil, "{\n  \"wall_time_s\": %.6f,\n  \"cpu_time_s\": %.6f,\n  \"events_per_second\": %.0f,\n  \"speedup\": %.1f\n}\n",
		wall.Seconds(), cpu.Seconds(), float64(res.Events)/max(wall.Seconds(), 1e-9), speedup)
	return report.WriteFile(dir, "timing.json", data)
}

// printRun shows a run: in full when it is the only one, else one line and
// the failed assertions.
func printRun(w io.Writer, r report.Run, wall time.Duration, failedOnWarning, full bool) {
	n := r.Network
	if !full {
		passed := 0
		for _, a := range r.Assertions {
			if a.Passed {
				passed++
			}
		}
		fmt.Fprintf(w, "%s (seed %d): %s, %d/%d assertions, %d/%d delivered\n",
			r.Scenario, r.Seed, r.Verdict, passed, len(r.Assertions), n.PacketsDelivered, n.PacketsSent)
		for _, a := range r.Assertions {
			if !a.Passed {
				fmt.Fprintf(w, "  FAIL %s %s %g%s (actual %s)  %s:%d\n", a.Metric, a.Operator, a.Value, whereText(a.Where),
					strconv.FormatFloat(a.Actual, 'g', 6, 64), a.File, a.Line)
			}
		}
		return
	}
	fmt.Fprintf(w, "%s (seed %d): %s\n", r.Scenario, r.Seed, r.Verdict)
	fmt.Fprintf(w, "  %g s virtual in %s, %d events, %d/%d steps executed\n",
		r.VirtualTimeS, wall.Round(time.Microsecond), r.Events, r.Steps.Executed, r.Steps.Total)
	fmt.Fprintf(w, "  packets: %d sent, %d delivered, %d dropped (%d lost, %d unroutable, %d by faults), %d in flight\n",
		n.PacketsSent, n.PacketsDelivered, n.PacketsDropped, n.PacketsLost, n.PacketsUnroutable, n.PacketsFaulted, n.PacketsInFlight)
	for _, a := range r.Assertions {
		mark := "ok  "
		if !a.Passed {
			mark = "FAIL"
		}
		detail := fmt.Sprintf("actual %s", strconv.FormatFloat(a.Actual, 'g', 6, 64))
		if a.Error != "" {
			detail = a.Error
		}
		fmt.Fprintf(w, "  %s %s %s %g%s (%s)  %s:%d\n", mark, a.Metric, a.Operator, a.Value, whereText(a.Where), detail, a.File, a.Line)
	}
	for _, o := range r.Observers {
		fmt.Fprintf(w, "  observed %s: %d messages, longest gap %g s", o.Name, o.Messages, o.GapMaxS)
		if o.Correlated > 0 && o.E2E != nil {
			fmt.Fprintf(w, ", %d readings followed, e2e p50 %g ms", o.Correlated, o.E2E.P50)
		}
		fmt.Fprintf(w, " (%s)\n", o.Source)
	}
	if failedOnWarning {
		fmt.Fprintln(w, "  FAIL warnings, with --fail-on-warning")
	}
}
