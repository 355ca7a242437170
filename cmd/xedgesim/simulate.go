package main

import (
	"github.com/spf13/cobra"
)

func newSimulate() *cobra.Command {
	return notImplemented("simulate", "Run an xEdgeSim scenario as a gate")
}
