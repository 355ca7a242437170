// Command xedgesim builds, simulates, pushes, deploys and verifies edge
// container images. Each verb lives in its own file; this file only wires
// signals and the exit code.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/xedgesim/simulate/internal/exitcode"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "xedgesim:", msg)
		}
	}
	os.Exit(exitcode.Of(err))
}
