package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/report"
)

// mergeOptions are report merge's: the shards' results directories and
// where the merged reports go.
type mergeOptions struct {
	out    string
	shards []string
}

func newReport() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with simulation reports",
	}
	var o mergeOptions
	merge := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Merge the results of a sweep's shards into the reports of the whole sweep",
		Long: `Merge the results directories of simulate --shard i/n (one per job of a
workflow matrix) into one summary.json, junit.xml, summary.md, report.html
and evidence.json: the files one runner running the whole sweep writes,
byte for byte, and each run's directory beside them. Every shard of the plan
must be given, in any order. Run it from the directory the shards ran in:
the evidence names the scenario files by their SHA-256.

Exit codes: 0 every run passed, 2 the gate failed, 1 a run could not finish,
3 the shards are incomplete or not of one plan.`,
		Example: `  xedgesim simulate --seeds 1-1000 --plan --shards 20 scenarios/gate_fleet.yaml
  xedgesim simulate --seeds 1-1000 --shard 3/20 --out shard-3 scenarios/gate_fleet.yaml
  xedgesim report merge --out results shard-*`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("report merge needs the shards' results directories")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			o.shards = args
			res, err := runMerge(cmd.Context(), u, o)
			return u.publish(simulateResult(res, err), err)
		},
	}
	merge.Flags().StringVar(&o.out, "out", "results", "directory of the merged reports")
	cmd.AddCommand(merge)
	return cmd
}

// runMerge reads the shards, merges them and writes what simulate writes
// for the whole sweep.
func runMerge(_ context.Context, u *ui, o mergeOptions) (*outcome, error) {
	var shards []report.Shard
	for _, dir := range o.shards {
		sh, err := report.ReadShard(dir)
		if err != nil {
			return nil, err
		}
		if abs, aerr := filepath.Abs(dir); aerr == nil {
			if out, oerr := filepath.Abs(o.out); oerr == nil && abs == out {
				return nil, usageError("--out %s is one of the shards; merge into a directory of its own", o.out)
			}
		}
		shards = append(shards, sh)
	}
	suite, err := report.Merge(shards)
	if err != nil {
		return nil, err
	}
	// Each run's directory, as the unsharded sweep lays them out.
	for _, sh := range shards {
		for _, r := range sh.Suite.Runs {
			rel := filepath.Join(r.Scenario, "seed-"+strconv.FormatInt(r.Seed, 10))
			if err := copyTree(filepath.Join(sh.Dir, rel), filepath.Join(o.out, rel)); err != nil {
				return nil, err
			}
		}
	}
	// One evidence and one in-toto statement for the whole sweep, as the
	// unsharded run writes them.
	ev, st, err := newEvidence(suite)
	if err != nil {
		return nil, err
	}
	if _, err := st.Write(o.out); err != nil {
		return nil, err
	}
	return finish(u, suite, ev, o.out, false)
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copying %s: %w", src, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755) // #nosec G301 -- merged results, for CI uploaders to read like the shards
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path) // #nosec G122 G304 -- the shards are the user's own result folders; links are skipped above, and a file swapped in meanwhile gives nothing the user could not read
		if err != nil {
			return fmt.Errorf("copying %s: %w", path, err)
		}
		return report.WriteFile(filepath.Dir(target), filepath.Base(target), data)
	})
}

// writeShard records which shard of which plan a results directory holds,
// for report merge.
func writeShard(out string, i, n, planned int) error {
	data, err := report.ShardInfo{Index: i, Of: n, Planned: planned}.JSON()
	if err != nil {
		return err
	}
	return report.WriteFile(out, report.ShardFile, data)
}

// mergeInputs maps the simulate action's merge and out inputs onto report
// merge's options: each line holds paths or globs of shard directories.
func mergeInputs(r *gha.Runner, lines []string) (mergeOptions, error) {
	o := mergeOptions{out: r.Input("out")}
	if o.out == "" {
		o.out = "results"
	}
	for _, line := range lines {
		for _, f := range strings.Fields(line) {
			if !strings.ContainsAny(f, "*?[") {
				o.shards = append(o.shards, f)
				continue
			}
			m, err := filepath.Glob(f)
			if err != nil || len(m) == 0 {
				return o, usageError("input merge: %q matches no directory", f)
			}
			o.shards = append(o.shards, m...)
		}
	}
	return o, nil
}

// ghaPlan is the simulate action with shards: it prints the matrix and
// sets it as the matrix output.
func ghaPlan(ctx context.Context, u *ui, o simulateOptions) error {
	var buf bytes.Buffer
	out := u.out
	u.out = &buf
	_, err := runSimulate(ctx, u, o)
	u.out = out
	if err != nil {
		return u.publish(actionResult{}, err)
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return err
	}
	return u.publish(actionResult{outputs: []output{{"matrix", strings.TrimSpace(buf.String())}}}, nil)
}
