package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// newNetShape is the hidden verb the shaping helper container runs in a
// node's network namespace (pkg/sim/container starts it). It reads its
// configuration from XEDGESIM_SHAPE_CONFIG, writes one JSON line per event
// and, when stopped, one with the counters of each link. The runtime tells
// it the timeline's zero later, by running it again with --set-start in
// the same container: that writes the start file the helper watches.
func newNetShape() *cobra.Command {
	var startFile string
	var setStart int64
	cmd := &cobra.Command{
		Use:    "__netshape",
		Short:  "Shape a container node's real traffic (run by xedgesim in a helper container)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if setStart != 0 {
				// Written whole, then renamed: the helper never reads half.
				tmp := startFile + ".tmp"
				if err := os.WriteFile(tmp, []byte(strconv.FormatInt(setStart, 10)), 0o644); err != nil { // #nosec G306 -- a timestamp in the helper container
					return err
				}
				return os.Rename(tmp, startFile)
			}
			c, err := shape.ParseConfig([]byte(getenvOf(cmd.Context())("XEDGESIM_SHAPE_CONFIG")))
			if err != nil {
				return usageError("%v", err)
			}
			out := json.NewEncoder(cmd.OutOrStdout())
			opts := []shape.RunOption{shape.WithEvents(func(e shape.Event) { _ = out.Encode(e) })}
			if c.StartUnixNano == 0 {
				opts = append(opts, shape.WithStart(watchStart(cmd.Context(), startFile)))
			}
			counts, err := shape.Run(cmd.Context(), c, opts...)
			if counts != nil {
				_ = out.Encode(struct {
					Kind  string                    `json:"kind"`
					Links map[string]shape.Counters `json:"links"`
				}{"counters", counts})
			}
			if err != nil {
				return fmt.Errorf("shaping node %s: %w", c.Node, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&startFile, "start-file", "/xedgesim.start", "the file that gives the timeline's zero (Unix ns)")
	cmd.Flags().Int64Var(&setStart, "set-start", 0, "write the timeline's zero (Unix ns) to the start file and exit")
	return cmd
}

// watchStart polls file and sends the timeline's zero each time it holds a
// new one: the runtime may give a later zero when the first came late.
func watchStart(ctx context.Context, file string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var last int64
		for {
			if b, err := os.ReadFile(file); err == nil { // #nosec G304 -- --start-file, set by the runtime in its own helper container
				if ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && ns > 0 && ns != last {
					select {
					case ch <- time.Unix(0, ns):
						last = ns
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch
}
