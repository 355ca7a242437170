package main

import (
	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/scenario"
)

// schemas are the formats schema prints, by the argument that names them.
var schemas = map[string]func() []byte{"scenario": scenario.Schema, "deploy": manifest.Schema}

func newSchema() *cobra.Command {
	return &cobra.Command{
		Use:   "schema [scenario|deploy]",
		Short: "Print the JSON Schema of the scenario format or of the deploy manifest",
		Long: `Print the JSON Schema (draft 2020-12) of the xEdgeSim scenario format as
xedgesim reads it, extensions included (schema, schema scenario), or of the
deploy manifest, deploy.yaml (schema deploy). Point your editor's YAML
language server at it to get completion and checks while writing them.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1 && schemas[args[0]] == nil) {
				return usageError("schema takes scenario or deploy, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			which := "scenario"
			if len(args) == 1 {
				which = args[0]
			}
			_, err := cmd.OutOrStdout().Write(schemas[which]())
			return err
		},
	}
}
