package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
)

// ghaFleet is the fleet action: its command input picks deploy --plan
// runners, fleet status or fleet rollback, and the other inputs map onto
// their flags.
func ghaFleet(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd, asAction())
	if err != nil {
		return err
	}
	g := u.gha
	r := fleetRequest{
		deploy:  deployRequest{file: g.Input("manifest"), image: g.Input("image"), report: g.Input("report")},
		reports: g.Input("reports"), through: g.Input("through"), out: g.Input("out"), from: g.Input("from"),
	}
	if r.deploy.file == "" {
		r.deploy.file = "deploy.yaml"
	}
	if h := g.Input("host"); h != "" {
		r.deploy.hosts = []string{h}
	}
	if ca := g.Input("ca-file"); ca != "" {
		r.deploy.caFiles = []string{ca}
	}
	var errs []error
	var ierr error
	r.deploy.insecure, ierr = g.BoolInput("insecure", false)
	errs = append(errs, ierr)
	if w := g.Input("wave-jobs"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 {
			errs = append(errs, &gha.InputError{Name: "wave-jobs", Problem: fmt.Sprintf("%q is not a number of jobs", w)})
		}
		r.deploy.waveJobs = n
	}
	if err := errors.Join(errs...); err != nil {
		return exitcode.New(exitcode.Invalid, err)
	}
	switch c := g.Input("command"); c {
	case "plan":
		m, err := loadManifest(u, r.deploy.file, "deploy --plan runners")
		if err != nil {
			return err
		}
		r.deploy.plan = "runners"
		return runRunnerPlan(cmd, u, m, r.deploy)
	case "status":
		return runFleetStatus(cmd, u, r)
	case "rollback":
		return runFleetRollback(cmd, u, r)
	default:
		return exitcode.New(exitcode.Invalid, &gha.InputError{Name: "command", Problem: fmt.Sprintf("%q: write plan, status or rollback", c)})
	}
}
