package main

import (
	"github.com/spf13/cobra"
)

func newSchema() *cobra.Command {
	return notImplemented("schema", "Print the JSON Schema of the scenario format")
}
