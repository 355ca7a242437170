package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/report"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

type simulateFlags struct {
	seed    int64
	seedSet bool
	out     string
	csv     bool
	dryRun  bool
	strict  bool
	python  string
}

func newSimulate() *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate [flags] SCENARIO",
		Short: "Run an xEdgeSim scenario as a gate",
		Long: `Run an xEdgeSim scenario file and write its results.

Results go to --out (default results/<scenario name>): summary.json always,
upstream's <node_id>_metrics.csv files with --csv (or report.csv: true in the
scenario), and timing.json with the wall-clock figures. The same scenario and
seed give byte-identical summary.json and CSV files.

Exit codes: 0 pass, 1 runtime error, 2 gate failed, 3 invalid scenario.`,
		Example: `  xedgesim simulate scenarios/m0_baseline.yaml
  xedgesim simulate --seed 7 --csv --out /tmp/m0 scenarios/m0_baseline.yaml
  xedgesim simulate --dry-run --strict scenarios/m0_baseline.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("simulate takes one scenario file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.seedSet = cmd.Flags().Changed("seed")
			return runSimulate(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&f.seed, "seed", 0, "override the scenario's seed")
	fl.StringVar(&f.out, "out", "", "results directory (default results/<scenario name>)")
	fl.BoolVar(&f.csv, "csv", false, "write upstream's <node_id>_metrics.csv files")
	fl.BoolVar(&f.dryRun, "dry-run", false, "validate the scenario and its nodes, run nothing")
	fl.BoolVar(&f.strict, "strict", false, "treat unknown keys as errors")
	fl.StringVar(&f.python, "python", "3.11", "CPython whose float sum() the gateway model reproduces: 3.11 (and earlier; upstream's published results) or 3.12 (and later)")
	return cmd
}

func runSimulate(cmd *cobra.Command, path string, f simulateFlags) error {
	stdout := cmd.OutOrStdout()
	var sum node.SumMode
	switch f.python {
	case "3.12", "3.13", "3.14":
		sum = node.SumNeumaier
	case "3.11", "3.10", "3.9", "3.8":
		sum = node.SumPlain
	default:
		return usageError("--python %q: use 3.12 (or later) or 3.11 (or earlier)", f.python)
	}

	u, err := newUI(cmd)
	if err != nil {
		return err
	}
	sc, diags, err := scenario.Load(path, scenario.WithStrict(f.strict))
	u.diagnostics(diags)
	if err != nil {
		u.invalid(err)
		return err
	}
	opts := []sim.Option{sim.WithSumMode(sum)}
	seed := sc.Simulation.Seed
	if f.seedSet {
		seed = f.seed
		opts = append(opts, sim.WithSeed(seed))
	}
	if f.dryRun {
		return dryRun(stdout, sc)
	}
	out := f.out
	if out == "" {
		out = filepath.Join("results", sc.Name)
	}
	if f.csv || sc.Report.CSV {
		opts = append(opts, sim.WithCSVDir(out))
	}

	start := time.Now()
	res, err := sim.Run(cmd.Context(), sc, opts...)
	wall := time.Since(start)
	if err != nil {
		if exitcode.Of(err) == exitcode.Invalid {
			return err
		}
		// A run that could not finish still leaves a summary saying why.
		s := report.ErrorSummary(sc.Name, path, seed, err)
		if data, jerr := s.JSON(); jerr == nil {
			_ = report.WriteFile(out, "summary.json", data)
		}
		return fmt.Errorf("simulating %s: %w", path, err)
	}
	u.diagnostics(res.Warnings)
	s := report.NewSummary(path, sc.Network.Model, res, report.Pass)
	data, err := s.JSON()
	if err != nil {
		return fmt.Errorf("encoding summary: %w", err)
	}
	if err := report.WriteFile(out, "summary.json", data); err != nil {
		return err
	}
	if err := writeTiming(out, res, wall); err != nil {
		return err
	}
	printVerdict(stdout, s, wall, out)
	return nil
}

func dryRun(w io.Writer, sc *scenario.Scenario) error {
	// Building the nodes checks every node's config without starting any.
	for _, n := range sc.Nodes {
		if _, _, err := node.New(n, node.SumNeumaier); err != nil {
			if exitcode.Of(err) == exitcode.Invalid {
				return err
			}
			fmt.Fprintln(w, "note:", err)
		}
	}
	fmt.Fprintf(w, "%s: valid (%d nodes, %s network, %g s, quantum %d us, seed %d)\n",
		sc.Path, len(sc.Nodes), sc.Network.Model, sc.Simulation.DurationS, sc.Simulation.TimeQuantumUS, sc.Simulation.Seed)
	return nil
}

func writeTiming(dir string, res *sim.Result, wall time.Duration) error {
	speedup := 0.0
	if wall > 0 {
		speedup = float64(res.VirtualTimeUS) / 1e6 / wall.Seconds()
	}
	data := fmt.Appendf(nil, "{\n  \"wall_time_s\": %.6f,\n  \"events_per_second\": %.0f,\n  \"speedup\": %.1f\n}\n",
		wall.Seconds(), float64(res.Events)/max(wall.Seconds(), 1e-9), speedup)
	return report.WriteFile(dir, "timing.json", data)
}

func printVerdict(w io.Writer, s report.Summary, wall time.Duration, out string) {
	n := s.Network
	fmt.Fprintf(w, "%s (seed %d): %s\n", s.Scenario, s.Seed, s.Verdict)
	fmt.Fprintf(w, "  %g s virtual in %s, %d events, %d/%d steps executed\n",
		s.VirtualTimeS, wall.Round(time.Microsecond), s.Events, s.Steps.Executed, s.Steps.Total)
	fmt.Fprintf(w, "  packets: %d sent, %d delivered, %d dropped (%d lost, %d unroutable), %d in flight\n",
		n.PacketsSent, n.PacketsDelivered, n.PacketsDropped, n.PacketsLost, n.PacketsUnroutable, n.PacketsInFlight)
	fmt.Fprintf(w, "  results: %s\n", out)
}
