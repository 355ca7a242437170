package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// defaultTimeout bounds a simulate invocation's wall-clock time. Generous
// for real gates (the largest benchmark scenario, 10,000 sensors for a
// virtual hour, takes about a minute), short of the six hours after which
// GitHub cancels a job without any report.
const defaultTimeout = time.Hour

// limitOptions are simulate's bounds on what a scenario may ask for.
type limitOptions struct {
	maxNodes     int
	maxFileMiB   int64
	maxDurationS float64
	timeout      time.Duration
}

func (l *limitOptions) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&l.maxNodes, "max-nodes", scenario.DefaultMaxNodes, "refuse scenarios with more nodes than this (device groups expanded)")
	fl.Int64Var(&l.maxFileMiB, "max-file-mib", scenario.DefaultMaxFileSize>>20, "refuse scenario files larger than this many MiB")
	fl.Float64Var(&l.maxDurationS, "max-duration-s", scenario.DefaultMaxDurationS, "refuse scenarios whose simulation.duration_s is longer (at most "+scenario.MaxTimeText()+")")
	fl.DurationVar(&l.timeout, "timeout", defaultTimeout, "end the invocation after this wall-clock time with exit 1, writing the reports of what ran (0: no limit)")
}

// defaultLimits are the limits when no flag sets them (the action).
func defaultLimits() limitOptions {
	return limitOptions{maxNodes: scenario.DefaultMaxNodes, maxFileMiB: scenario.DefaultMaxFileSize >> 20,
		maxDurationS: scenario.DefaultMaxDurationS, timeout: defaultTimeout}
}

func (l limitOptions) check() error {
	switch {
	case l.maxNodes < 1:
		return usageError("--max-nodes %d: write a positive number", l.maxNodes)
	case l.maxFileMiB < 1 || l.maxFileMiB > 1<<20:
		return usageError("--max-file-mib %d: write a number of MiB between 1 and 1048576", l.maxFileMiB)
	case !(l.maxDurationS > 0) || l.maxDurationS > scenario.MaxTimeS:
		// Past MaxTimeS a time in the run plus a time in a node's config
		// would wrap.
		return usageError("--max-duration-s %g: write a positive number of seconds, at most %s (about 126,000 years)", l.maxDurationS, scenario.MaxTimeText())
	case l.timeout < 0:
		return usageError("--timeout %s: write a positive duration such as 30m, or 0 for no limit", l.timeout)
	}
	return nil
}

// loadOptions are the scenario loader's options for these limits.
func (l limitOptions) loadOptions() []scenario.Option {
	return []scenario.Option{scenario.WithMaxNodes(l.maxNodes), scenario.WithMaxFileSize(l.maxFileMiB << 20), scenario.WithMaxDuration(l.maxDurationS)}
}

// errTimeout is the cause of the context that --timeout ends.
var errTimeout = errors.New("the --timeout ended the invocation")

// withTimeout is ctx ended after l.timeout (none when it is 0), with
// errTimeout as its cause.
func (l limitOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if l.timeout == 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, l.timeout, errTimeout)
}

// timedOut tells whether ctx ended because of --timeout rather than a
// signal.
func timedOut(ctx context.Context) bool {
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), errTimeout)
}
