// Command xedgesim builds, simulates, pushes, deploys and verifies edge
// container images. Each verb lives in its own file; this file only wires
// the process (signals, streams, environment) to run and its exit code.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/xedgesim/simulate/internal/exitcode"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the whole CLI as a function: tests call it in process with their
// own streams and environment, main with the process's.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootFor(args)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(withGetenv(ctx, getenv))
	code := exitcode.Of(err)
	if err != nil {
		if code == exitcode.Invalid {
			// Input errors start with file:line:col, which editors and
			// problem matchers read only at the start of a line.
			fmt.Fprintln(stderr, err)
		} else {
			fmt.Fprintln(stderr, "xedgesim:", err)
		}
	}
	return code
}

// getenvKey carries run's getenv to the verbs, which cobra builds before
// run knows it.
type getenvKey struct{}

func withGetenv(ctx context.Context, getenv func(string) string) context.Context {
	return context.WithValue(ctx, getenvKey{}, getenv)
}

// getenvOf is the environment the verb runs in: run's getenv, or the
// process's when a test executes a command without run.
func getenvOf(ctx context.Context) func(string) string {
	if f, ok := ctx.Value(getenvKey{}).(func(string) string); ok && f != nil {
		return f
	}
	return os.Getenv
}
