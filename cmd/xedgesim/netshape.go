package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// newNetShape is the hidden verb the shaping helper container runs in a
// node's network namespace (pkg/sim/container starts it). It reads its
// configuration from XEDGESIM_SHAPE_CONFIG, writes one JSON line per event
// and, when stopped, one with the counters of each link.
func newNetShape() *cobra.Command {
	return &cobra.Command{
		Use:    "__netshape",
		Short:  "Shape a container node's real traffic (run by xedgesim in a helper container)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := shape.ParseConfig([]byte(getenvOf(cmd.Context())("XEDGESIM_SHAPE_CONFIG")))
			if err != nil {
				return usageError("%v", err)
			}
			out := json.NewEncoder(cmd.OutOrStdout())
			counts, err := shape.Run(cmd.Context(), c, shape.WithEvents(func(e shape.Event) { _ = out.Encode(e) }))
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
}
