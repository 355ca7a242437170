package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
)

// newGHA is the entry point of the GitHub Actions: `xedgesim gha simulate`
// reads the action's inputs from INPUT_* itself (action.yml maps each one in
// env:, never into a shell line, so untrusted text cannot become a command),
// runs the verb and writes its outputs and step summary.
func newGHA() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "gha",
		Short:  "Run a verb as a GitHub Action (used by action.yml)",
		Hidden: true,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "simulate",
		Short: "The xedgesim/simulate action",
		Args:  cobra.NoArgs,
		RunE:  ghaSimulate,
	})
	cmd.AddCommand(&cobra.Command{Use: "build", Short: "The xedgesim/simulate/actions/build action", Args: cobra.NoArgs, RunE: ghaBuild})
	cmd.AddCommand(&cobra.Command{Use: "push", Short: "The xedgesim/simulate/actions/push action", Args: cobra.NoArgs, RunE: ghaPush})
	cmd.AddCommand(newGHADeploy(), newGHAVerify())
	cmd.AddCommand(&cobra.Command{Use: "fleet", Short: "The xedgesim/simulate/actions/fleet action", Args: cobra.NoArgs, RunE: ghaFleet})
	cmd.AddCommand(&cobra.Command{Use: "undeploy", Short: "The xedgesim/simulate/actions/undeploy action", Args: cobra.NoArgs, RunE: ghaUndeploy})
	return cmd
}

func ghaSimulate(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd, asAction())
	if err != nil {
		return err
	}
	if merge := u.gha.MultilineInput("merge"); len(merge) > 0 {
		o, err := mergeInputs(u.gha, merge)
		if err != nil {
			return err
		}
		res, runErr := runMerge(cmd.Context(), u, o)
		return u.publish(simulateResult(res, runErr), runErr)
	}
	o, err := simulateInputs(u.gha)
	if err != nil {
		return err
	}
	if o.plan {
		return ghaPlan(cmd.Context(), u, o)
	}
	res, runErr := runSimulate(cmd.Context(), u, o)
	return u.publish(simulateResult(res, runErr), runErr)
}

// simulateResult is what simulate tells the runner, from the action or the
// CLI alike: the verdict and the reports' paths, and the summary.
func simulateResult(res *outcome, runErr error) actionResult {
	if res == nil {
		if runErr == nil {
			return actionResult{}
		}
		return actionResult{outputs: []output{{"verdict", "error"}, {"passed", "false"}}}
	}
	return actionResult{
		outputs: []output{
			{"verdict", res.suite.Verdict},
			{"passed", strconv.FormatBool(res.suite.Verdict == "pass")},
			{"summary-json", res.summary},
			{"junit", res.junit},
			{"report", res.html},
			{"evidence", res.evidence},
		},
		summary: string(res.markdown),
	}
}

// simulateInputs maps the action's inputs onto the verb's options.
func simulateInputs(r *gha.Runner) (simulateOptions, error) {
	o := simulateOptions{limits: defaultLimits()}
	scenarios := r.MultilineInput("scenario")
	if len(scenarios) == 0 {
		return o, exitcode.New(exitcode.Invalid, errors.New("input scenario is required: a path, a glob or a list of them"))
	}
	// A line may hold several paths separated by spaces, as users write
	// them in one-line inputs.
	for _, line := range scenarios {
		o.scenarios = append(o.scenarios, strings.Fields(line)...)
	}
	if s := r.Input("seed"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return o, exitcode.New(exitcode.Invalid, fmt.Errorf("input seed %q is not an integer", s))
		}
		o.seed = &seed
	}
	o.seeds = r.Input("seeds")
	o.shard = r.Input("shard")
	if s := r.Input("shards"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return o, exitcode.New(exitcode.Invalid, fmt.Errorf("input shards %q: write how many shards, e.g. 4", s))
		}
		if o.shard != "" {
			return o, exitcode.New(exitcode.Invalid, errors.New("inputs shards and shard exclude each other: shards plans the matrix, shard runs one of its entries"))
		}
		o.shards, o.plan = n, true
	}
	o.images = r.MultilineInput("image")
	o.out = r.Input("out")
	o.python = "3.11"
	var err error
	if o.strict, err = r.BoolInput("strict", false); err != nil {
		return o, err
	}
	if o.failOnWarning, err = r.BoolInput("fail-on-warning", false); err != nil {
		return o, err
	}
	if s := r.Input("timeout"); s != "" {
		if o.limits.timeout, err = time.ParseDuration(s); err != nil || o.limits.timeout < 0 {
			return o, exitcode.New(exitcode.Invalid, fmt.Errorf("input timeout %q is not a duration such as 30m or 2h (0: no limit)", s))
		}
	}
	return o, nil
}
