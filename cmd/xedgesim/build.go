package main

import "github.com/spf13/cobra"

func newBuild() *cobra.Command {
	return notImplemented("build", "Build a multi-arch image")
}
