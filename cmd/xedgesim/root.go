package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/version"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "xedgesim",
		Short: "Build, simulate, push, deploy and verify edge container images",
		Long: `xedgesim takes one container image from a pull request to a fleet of edge
devices: build it for every architecture, simulate it in an xEdgeSim scenario
as a gate, push it by digest, deploy it over SSH, and verify it.

Exit codes: 0 success, 1 runtime error, 2 gate failed, 3 invalid input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints what the version verb prints.
		Version: version.Get().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.New(exitcode.Invalid, err)
	})
	root.AddCommand(
		newSimulate(),
		newSchema(),
		newReport(),
		newBuild(),
		newPush(),
		newAttest(),
		newDeploy(),
		newVerify(),
		newUndeploy(),
		newFleet(),
		newVersion(),
		newGHA(),
		newNetShape(),
	)
	return root
}

// usageError marks a command-line mistake (exit 3).
func usageError(format string, args ...any) error {
	return exitcode.New(exitcode.Invalid, fmt.Errorf(format, args...))
}
