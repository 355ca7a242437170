package main

import (
	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func newSchema() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the scenario format",
		Long: `Print the JSON Schema (draft 2020-12) of the xEdgeSim scenario format as
xedgesim reads it, extensions included. Point your editor's YAML language
server at it to get completion and checks while writing scenarios.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("schema takes no arguments, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(scenario.Schema())
			return err
		},
	}
}
