package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/version"
)

func newRoot() *cobra.Command {
	root := rootCommand()
	for _, v := range verbs {
		root.AddCommand(v.new())
	}
	return root
}

// rootCommand is the root without its verbs.
func rootCommand() *cobra.Command {
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
	return root
}

// verbs are the root's commands, by the name that calls each, in the order
// help lists them.
var verbs = []struct {
	name string
	new  func() *cobra.Command
}{
	{"simulate", newSimulate},
	{"schema", newSchema},
	{"report", newReport},
	{"build", newBuild},
	{"push", newPush},
	{"attest", newAttest},
	{"deploy", newDeploy},
	{"verify", newVerify},
	{"undeploy", newUndeploy},
	{"fleet", newFleet},
	{"version", newVersion},
	{"gha", newGHA},
	{"__netshape", newNetShape},
}

// newRootFor is the root with only the verb args call: building every
// verb's flags costs a few milliseconds of each start, as much as the
// simulation of a small scenario. Help, completion, --version and a
// misspelt verb (whose suggestion lists every verb) get the whole tree.
func newRootFor(args []string) *cobra.Command {
	if len(args) > 0 {
		for _, v := range verbs {
			if v.name == args[0] {
				root := rootCommand()
				root.AddCommand(v.new())
				return root
			}
		}
	}
	return newRoot()
}

// usageError marks a command-line mistake (exit 3).
func usageError(format string, args ...any) error {
	return exitcode.New(exitcode.Invalid, fmt.Errorf(format, args...))
}
