package main

import (
	"fmt"
	"io"
	"time"

	"github.com/xedgesim/simulate/pkg/sim"
)

// Values of --console.
const (
	consoleOurs     = "xedgesim"
	consoleUpstream = "upstream"
)

// compatOptions are the run options that decide how a scenario is read:
// --connect and --upstream.
func compatOptions(o simulateOptions) []sim.Option {
	var opts []sim.Option
	if o.connect {
		opts = append(opts, sim.WithConnect())
	}
	if o.upstream {
		opts = append(opts, sim.WithUpstream())
	}
	return opts
}

// printUpstream prints the lines upstream's Coordinator.run prints
// (REFERENCE.md 3.3), in its formats, so scripts that read upstream's
// console (its M1b test greps for "2.0s") read ours. Its progress line
// every 1000 steps is left out: it reports wall time mid-run, and our
// kernel skips empty quanta. Steps is upstream's count, every quantum.
func printUpstream(w io.Writer, res *sim.Result, wall time.Duration) {
	virtual := float64(res.VirtualTimeUS) / 1e6
	// Python divides by the elapsed seconds; never by zero here.
	elapsed := max(wall.Seconds(), 1e-9)
	fmt.Fprintf(w, "[Coordinator] Starting simulation for %.1fs (virtual time)\n", virtual)
	fmt.Fprintf(w, "[Coordinator] Time quantum: %dus\n", res.QuantumUS)
	fmt.Fprintln(w, "[Coordinator] Simulation complete, shutting down nodes...")
	fmt.Fprintln(w, "[Coordinator] Simulation finished:")
	fmt.Fprintf(w, "  Virtual time: %.1fs\n", virtual)
	fmt.Fprintf(w, "  Wall time: %.2fs\n", wall.Seconds())
	fmt.Fprintf(w, "  Steps: %d\n", res.StepsTotal)
	fmt.Fprintf(w, "  Speedup: %.1fx\n", virtual/elapsed)
}
