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

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	code := exitcode.Of(err)
	if msg := errorText(err); msg != "" {
		if code == exitcode.Invalid {
			// Input errors start with file:line:col, which editors and
			// problem matchers read only at the start of a line.
			fmt.Fprintln(os.Stderr, msg)
		} else {
			fmt.Fprintln(os.Stderr, "xedgesim:", msg)
		}
	}
	os.Exit(code)
}
