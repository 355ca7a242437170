package main

import "github.com/spf13/cobra"

func newPush() *cobra.Command {
	return notImplemented("push", "Push an image to a registry by digest")
}

func newAttest() *cobra.Command {
	return notImplemented("attest", "Attach simulation evidence to an image digest")
}
